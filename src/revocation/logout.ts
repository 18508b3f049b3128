/**
 * Logout that really ends things. A JWT access token cannot be recalled, so ending a login means
 * three writes: the session row (no new tokens through the browser), the refresh families (no new
 * tokens through refresh), and a revocation record (the access tokens already out are rejected by
 * introspection, userinfo, the push feed and the status list until they expire).
 *
 * - `endSession(sid)`: RP-initiated logout of one device. Other sessions of the user keep working.
 * - `revokeEverythingOfUser(userId)`: log out everywhere (`tokens revoke --email`, `users disable`).
 * - `revokeClient(clientId)`: `clients delete`; every family of the client and its access tokens.
 *
 * Families and sessions are ended before the record is written, so a token issued after the
 * record's `notBefore` can only come from a login that is still allowed.
 */
import type { Clock } from '../clock.js';
import type { Stores, UserStore } from '../storage/stores.js';
import { type Actor, type AuditLog, CLI_ACTOR, emailDigest } from '../audit/audit-log.js';
import type { RevocationService } from './service.js';

export interface LogoutDeps {
  readonly stores: Pick<Stores, 'refreshTokens' | 'sessions'>;
  readonly revocations: RevocationService;
  readonly clock: Clock;
}

export interface SessionEnded {
  /** False when the session did not exist or had already ended (its families are ended anyway). */
  readonly sessionEnded: boolean;
  readonly familiesEnded: number;
}

export interface Logout {
  endSession(sid: string): Promise<SessionEnded>;
  /** Returns how many sessions and refresh families it ended. */
  revokeEverythingOfUser(userId: string): Promise<number>;
  /** Returns how many refresh families it ended. */
  revokeClient(clientId: string): Promise<number>;
}

/**
 * `tokens revoke --email` and the admin API's equivalent: log the person out everywhere. Returns
 * how many sessions and refresh families ended, or undefined when no user has that email.
 */
export async function logOutEverywhere(
  deps: { readonly users: Pick<UserStore, 'findByEmail'>; readonly logout: Pick<Logout, 'revokeEverythingOfUser'>; readonly audit?: AuditLog },
  email: string,
  actor: Actor = CLI_ACTOR,
): Promise<number | undefined> {
  const user = await deps.users.findByEmail(email);
  if (user === undefined) return undefined;
  const ended = await deps.logout.revokeEverythingOfUser(user.id);
  deps.audit?.record({ event: 'tokens.revoked', sub: user.id, email_sha256: emailDigest(user.email), sessions_and_families_ended: ended }, actor);
  return ended;
}

export function createLogout(deps: LogoutDeps): Logout {
  const { stores, revocations, clock } = deps;
  return {
    async endSession(sid) {
      const now = clock.nowSeconds();
      const sessionEnded = await stores.sessions.end(sid, now);
      const familiesEnded = await stores.refreshTokens.revokeFamilies({ sessionId: sid }, now);
      await revocations.revoke({ kind: 'session', sid });
      return { sessionEnded, familiesEnded };
    },

    async revokeEverythingOfUser(userId) {
      const now = clock.nowSeconds();
      const sessions = await stores.sessions.endAllForUser(userId, now);
      const families = await stores.refreshTokens.revokeFamilies({ userId }, now);
      await revocations.revoke({ kind: 'subject', sub: userId });
      return sessions.length + families;
    },

    async revokeClient(clientId) {
      const families = await stores.refreshTokens.revokeFamilies({ clientId }, clock.nowSeconds());
      await revocations.revoke({ kind: 'client', clientId });
      return families;
    },
  };
}
