/**
 * The one revocation path. Every way something ends — one access token, a grant, a session, a
 * person, a client — is a method here, and every caller (RFC 7009, reuse detection, a replayed
 * code, end-session, a different person signing in, `users disable`, `tokens revoke --email`,
 * `clients delete`, the admin API) goes through it. It is a required dependency, never an
 * optional hook, so no path can forget a step.
 *
 * Ending something means up to three writes, in this order: the rows that could mint new tokens
 * (the session, the refresh families), then one revocation record whose scope is exactly what
 * ended, which introspection, userinfo, the push feed, the status lists and the SDK all honour:
 *
 * | what ends                          | rows ended                     | record                          |
 * |------------------------------------|--------------------------------|---------------------------------|
 * | one access token (RFC 7009)        | —                              | `jti` (+ where its status bit is) |
 * | a grant (RFC 7009 on a refresh     | its refresh family             | `grant`: the tokens carrying     |
 * |   token, reuse, a replayed code)   |                                |   its `grant_id`, refreshed ones too |
 * | a session (end-session, another    | the session, its families      | `session`: tokens carrying its `sid` |
 * |   person signs in in that browser) |                                |                                 |
 * | a person (`users disable`,         | every session and family       | `subject`, issued before now + 1 |
 * |   `tokens revoke --email`)         |                                |                                 |
 * | a client (`clients delete`)        | every family of the client     | `client`, issued before now + 1; |
 * |                                    |                                | then `subject` for the client:  |
 * |                                    |                                |   tokens exchanged (RFC 8693) for |
 * |                                    |                                |   its client-credentials tokens |
 *
 * Rows go first, so that a token issued after the record's `notBefore` can only come from a
 * sign-in that is still allowed. A grant or session record covers nothing of a later sign-in: a
 * new sign-in gets a new grant, and an ended session is never resumed.
 *
 * Shared Signals: when a session or a person ends, the revoker also writes WHY to the
 * security-event log (security-events.ts, a required dependency), after the record: a session
 * that ended is CAEP session-revoked; a person is session-revoked plus the cause's own event
 * (`users disable`: RISC account-disabled; a new password: CAEP credential-change), one `txn`.
 * Tokens, grants and clients ending is not an event about a person: nothing is written for them.
 *
 * Relying parties (OpenID Connect Back-Channel Logout 1.0): last, `logoutNotices` queues a logout
 * token for each client that a session ended here had signed in to — the session, or every
 * session of the person, that this call ended (not one that had ended before) — and
 * for the client of a live refresh family that a grant's end ended (reuse detection, a replayed
 * code, RFC 7009): the session at that client ended. Queued in the database, delivered later by
 * backchannel-logout/; nothing here waits for a relying party.
 */
import type { Clock } from '../clock.js';
import type { UserStore } from '../storage/people.js';
import type { Stores } from '../storage/stores.js';
import { type Actor, type AuditLog, CLI_ACTOR, emailDigest } from '../audit/audit-log.js';
import type { RevocationService } from './service.js';
import type { StatusEntry } from '../storage/revocations.js';
import type { CredentialChange, InitiatingEntity, SecurityEvent, SecurityEventLog } from './security-events.js';

/** Back-channel logout: queues logout tokens for what ended (backchannel-logout/queue.ts). */
export interface LogoutNotices {
  /** These sessions ended now: every client each one signed in to is owed a logout token. */
  sessionsEnded(sessionIds: readonly string[]): Promise<void>;
  /** This grant's live refresh family ended now: its client is owed one for the family's session. */
  grantEnded(grantId: string): Promise<void>;
}

export interface RevokerDeps {
  readonly stores: Pick<Stores, 'refreshTokens' | 'sessions'>;
  readonly revocations: Pick<RevocationService, 'revoke'>;
  readonly logoutNotices: LogoutNotices;
  readonly clock: Clock;
  /** `<issuer><status list path>/`: a token's `status.status_list.uri` names one of Inkan's lists after it. */
  readonly statusListUriPrefix: string;
  /** Why a session or a person ended, for the Shared Signals streams (security-events.ts). */
  readonly securityEvents: SecurityEventLog;
}

/** Why a person is ended everywhere: what the security-event log says besides session-revoked. */
export type EndUserCause =
  /** `tokens revoke --email` and its admin API twin. */
  | { readonly kind: 'logged-out-everywhere'; readonly initiatedBy: InitiatingEntity }
  /** `users disable` (RISC account-disabled). */
  | { readonly kind: 'account-disabled'; readonly initiatedBy: InitiatingEntity }
  /** A new password (CAEP credential-change): what the old one opened must end too. */
  | { readonly kind: 'credential-change'; readonly change: CredentialChange; readonly initiatedBy: InitiatingEntity };

/** The claims of an access token that RFC 7009 revokes. */
export interface RevokedAccessToken {
  readonly jti: string;
  readonly exp: number;
  readonly status?: unknown;
}

export interface SessionEnded {
  /** False when the session did not exist or had already ended (its families are ended anyway). */
  readonly sessionEnded: boolean;
  readonly familiesEnded: number;
}

export interface Revoker {
  /** One access token (RFC 7009), until its `exp`. */
  revokeAccessToken(token: RevokedAccessToken): Promise<void>;
  /** A grant: its refresh family and every access token carrying its `grant_id`. Returns whether a live family ended. */
  endGrant(grantId: string): Promise<boolean>;
  /** One session (logout of one device): the session, its refresh families, every token carrying its `sid`. */
  endSession(sid: string, initiatedBy?: InitiatingEntity): Promise<SessionEnded>;
  /** A person, everywhere, for `cause`. Returns how many sessions and refresh families it ended. */
  endUser(userId: string, cause: EndUserCause): Promise<number>;
  /** A client being deleted. Returns how many refresh families it ended. */
  endClient(clientId: string): Promise<number>;
}

export function createRevoker(deps: RevokerDeps): Revoker {
  const { stores, revocations, logoutNotices, clock } = deps;
  return {
    async revokeAccessToken(token) {
      await revocations.revoke({ kind: 'jti', jti: token.jti, expiresAt: token.exp, statusEntry: statusEntryOf(token.status, deps.statusListUriPrefix) });
    },

    async endGrant(grantId) {
      // The record before the family: a code or device-code exchange starting this grant's family
      // at this moment looks for the record once its family exists (grants/person-tokens.ts), so
      // either it sees the record or this sees its family.
      await revocations.revoke({ kind: 'grant', grantId });
      const ended = await stores.refreshTokens.revokeFamily(grantId, clock.nowSeconds());
      if (ended) await logoutNotices.grantEnded(grantId);
      return ended;
    },

    async endSession(sid, initiatedBy = 'user') {
      const now = clock.nowSeconds();
      const session = await stores.sessions.find(sid);
      const sessionEnded = await stores.sessions.end(sid, now);
      const familiesEnded = await stores.refreshTokens.revokeFamilies({ sessionId: sid }, now);
      await revocations.revoke({ kind: 'session', sid });
      if (sessionEnded && session !== undefined) {
        await deps.securityEvents.record([{ kind: 'session-revoked', userId: session.userId, sessionId: sid }], initiatedBy);
      }
      if (sessionEnded) await logoutNotices.sessionsEnded([sid]);
      return { sessionEnded, familiesEnded };
    },

    async endUser(userId, cause) {
      const now = clock.nowSeconds();
      const sessions = await stores.sessions.endAllForUser(userId, now);
      const families = await stores.refreshTokens.revokeFamilies({ userId }, now);
      await revocations.revoke({ kind: 'subject', sub: userId });
      await deps.securityEvents.record(eventsOf(userId, cause), cause.initiatedBy);
      await logoutNotices.sessionsEnded(sessions);
      return sessions.length + families;
    },

    async endClient(clientId) {
      const families = await stores.refreshTokens.revokeFamilies({ clientId }, clock.nowSeconds());
      await revocations.revoke({ kind: 'client', clientId });
      // A client is the subject (`sub`) of its client-credentials tokens, and so of the tokens
      // other clients exchanged them for (grants/token-exchange.ts), which carry another
      // client_id. Written second, so a resource server's feed stream ends on the client record.
      await revocations.revoke({ kind: 'subject', sub: clientId });
      return families;
    },
  };
}

/** The security events of a person ended for `cause`: the cause's own event first, then session-revoked. */
function eventsOf(userId: string, cause: EndUserCause): SecurityEvent[] {
  const revoked: SecurityEvent = { kind: 'session-revoked', userId };
  switch (cause.kind) {
    case 'logged-out-everywhere':
      return [revoked];
    case 'account-disabled':
      return [{ kind: 'account-disabled', userId }, revoked];
    case 'credential-change':
      return [{ kind: 'credential-change', userId, change: cause.change }, revoked];
  }
}

/** The status entry a token's `status` claim names, when it is one of this issuer's lists. */
export function statusEntryOf(status: unknown, listUriPrefix: string): StatusEntry | undefined {
  const reference = (status as { status_list?: { idx?: unknown; uri?: unknown } } | undefined)?.status_list;
  if (reference === undefined || typeof reference.uri !== 'string' || !Number.isSafeInteger(reference.idx)) return undefined;
  if (!reference.uri.startsWith(listUriPrefix)) return undefined;
  const listId = reference.uri.slice(listUriPrefix.length);
  return listId === '' || listId.includes('/') ? undefined : { listId, idx: reference.idx as number };
}

/**
 * `tokens revoke --email` and the admin API's equivalent: log the person out everywhere. Returns
 * how many sessions and refresh families ended, or undefined when no user has that email.
 */
export async function logOutEverywhere(
  deps: { readonly users: Pick<UserStore, 'findByEmail'>; readonly revoker: Pick<Revoker, 'endUser'>; readonly audit?: AuditLog },
  email: string,
  actor: Actor = CLI_ACTOR,
): Promise<number | undefined> {
  const user = await deps.users.findByEmail(email);
  if (user === undefined) return undefined;
  const ended = await deps.revoker.endUser(user.id, { kind: 'logged-out-everywhere', initiatedBy: 'admin' });
  deps.audit?.record({ event: 'tokens.revoked', sub: user.id, email_sha256: emailDigest(user.email), sessions_and_families_ended: ended }, actor);
  return ended;
}
