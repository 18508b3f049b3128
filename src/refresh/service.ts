/**
 * The refresh-token policy. Every rule in one place:
 *
 * - A token is 256 bits: the first of a family random, each successor
 *   HMAC-SHA256(successor key, presented token), where the successor key is derived (HKDF) from the
 *   key-encryption key that never enters the database. Only SHA-256 of a token is stored, so a
 *   database copy yields no token and no way to compute one; lookups are by hash, so they are not
 *   timing-sensitive.
 * - A family (one login granted offline_access) is bound to client, user, session (`sid`) and
 *   scope; it ends at its absolute expiry, REFRESH_TOKEN_TTL after the login, whatever happens.
 *   Each token also has an idle expiry, REFRESH_TOKEN_IDLE_TTL (default 14 days) after it was
 *   issued, never later than the family's.
 * - Rotation on every use: the store's one transaction lets exactly one caller consume a token.
 * - Replaying a consumed token is theft, and the whole grant is revoked (the family and every access
 *   token it issued, through revocation/revoker.ts) — with one exception, the
 *   grace window: for REFRESH_GRACE_SECONDS after a token was consumed, presenting it again returns
 *   the SAME successor (re-derived, since only its hash is stored) as long as that successor is
 *   still the family's unused head. This is what a client's network retry needs, and what makes a
 *   server that crashed between committing a rotation and answering safe: the retry gets the
 *   successor that was committed. It never creates a second branch: there is one successor per
 *   token, by construction. A replay after the window, or once the successor was itself used, is
 *   theft. (The alternative, answering invalid_grant inside the window without revoking, would
 *   strand a client whose answer was lost with a live family it can no longer use.)
 * - Scope: every token of a family carries the scopes granted at login (RFC 6749 §6); a refresh
 *   may ask for fewer for its access token, never more.
 * - A disabled or deleted user, a revoked family or another client's token: invalid_grant.
 * - DPoP (RFC 9449 §5): a family started by a public client with a DPoP proof records the key's
 *   thumbprint; every refresh must prove that key (invalid_dpop_proof otherwise, before consuming).
 */
import type { Revoker } from '../revocation/revoker.js';
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import { OAuthError } from '../oauth/errors.js';
import { parseScope } from '../oauth/scopes.js';
import type { ClientRecord } from '../storage/clients.js';
import type { UserRecord, UserStore } from '../storage/people.js';
import { hashSecret, randomSecret } from '../tokens/secrets.js';
import type { FoundRefreshToken, RefreshFamilyRecord, RefreshTokenRecord, RefreshTokenStore } from '../storage/refresh.js';
import type { NewRefreshFamily, RefreshTokenIssuer } from './refresh-tokens.js';
import type { Actor, AuditLog, RequestOrigin } from '../audit/audit-log.js';
import type { Metrics } from '../metrics/metrics.js';

/** How long after a rotation the consumed token still yields the same successor (a client's retry). */
export const REFRESH_GRACE_SECONDS = 10;

/** The key successors are derived with: HKDF of the key-encryption key, for this one purpose. */
export function deriveSuccessorKey(keyEncryptionKey: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', keyEncryptionKey, Buffer.alloc(0), 'inkan refresh-token successor v1', 32));
}

export interface RefreshTokenServiceDeps {
  readonly store: RefreshTokenStore;
  readonly users: Pick<UserStore, 'find'>;
  readonly clock: Clock;
  readonly absoluteTtlSeconds: number;
  readonly idleTtlSeconds: number;
  readonly successorKey: Buffer;
  /**
   * Ends the family's grant — the family and the access tokens it issued — on RFC 7009 §2.1 ("SHOULD
   * also invalidate all access tokens based on the same authorization grant") and on reuse, which
   * is theft.
   */
  readonly revoker: Pick<Revoker, 'endGrant'>;
  /** Reuse detections and revoked families are audit events (audit/audit-log.ts). */
  readonly audit?: AuditLog;
  readonly metrics?: Pick<Metrics, 'refreshRotated' | 'refreshReuseDetected' | 'revoked'>;
}

export interface Refreshed {
  readonly family: RefreshFamilyRecord;
  readonly user: UserRecord;
  /** The scopes of the new access token: the family's, or the subset the request asked for. */
  readonly scopes: readonly string[];
  /** The successor to hand out. */
  readonly refreshToken: string;
  /** True when this was a retry inside the grace window (the successor was issued before). */
  readonly retried: boolean;
}

export interface LiveRefreshToken extends FoundRefreshToken {
  readonly user: UserRecord;
}

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);

/** RFC 6749 §6: the requested scope must not include any scope not originally granted. */
function narrowScopes(requested: string | undefined, granted: readonly string[]): string[] {
  if (requested === undefined) return [...granted];
  const scopes = parseScope(requested);
  const extra = scopes.filter((scope) => !granted.includes(scope));
  if (extra.length > 0) {
    throw new OAuthError('invalid_scope', `the scope ${extra.map((s) => JSON.stringify(s)).join(', ')} was not granted to this refresh token`);
  }
  return scopes;
}

export class RefreshTokenService implements RefreshTokenIssuer {
  constructor(private readonly deps: RefreshTokenServiceDeps) {}

  async startFamily(request: NewRefreshFamily): Promise<string> {
    if (!request.client.grantTypes.includes('refresh_token')) {
      throw new Error(`client ${request.client.clientId} is not registered for the refresh_token grant`);
    }
    const now = this.deps.clock.nowSeconds();
    const family: RefreshFamilyRecord = {
      id: request.familyId ?? crypto.randomUUID(),
      clientId: request.client.clientId,
      userId: request.userId,
      sessionId: request.sessionId,
      scopes: [...request.scopes],
      authTime: request.authTime,
      authMethods: request.authMethods ?? ['pwd'],
      acr: request.acr ?? null,
      createdAt: now,
      expiresAt: now + this.deps.absoluteTtlSeconds,
      revokedAt: null,
      dpopJkt: request.dpopJkt ?? null,
    };
    const token = randomSecret();
    await this.deps.store.startFamily(family, this.tokenRecord(hashSecret(token), family, now));
    return token;
  }

  /**
   * The refresh_token grant's core: validates the presented token for `client` and the requested
   * scope (a subset of the family's, checked before anything is consumed), then rotates it.
   * `proofJkt` is the thumbprint of the request's verified DPoP proof key, if any: a family bound
   * to a key (RFC 9449 §5) is refreshed only with a proof of that key, checked before anything is
   * consumed, so a stolen token without the key cannot spend (or revoke) the family.
   */
  async rotate(presented: string, client: ClientRecord, requestedScope: string | undefined, proofJkt?: string, origin?: RequestOrigin): Promise<Refreshed> {
    const now = this.deps.clock.nowSeconds();
    const found = await this.deps.store.find(hashSecret(presented));
    // Another client's token is answered exactly like an unknown one.
    if (found === undefined || found.family.clientId !== client.clientId) throw invalidGrant('the refresh token is invalid');
    const { token, family } = found;
    if (family.revokedAt !== null) throw invalidGrant('the refresh token was revoked');
    if (family.dpopJkt != null && family.dpopJkt !== proofJkt) {
      throw new OAuthError(
        'invalid_dpop_proof',
        proofJkt === undefined ? 'this refresh token is bound to a DPoP key: send a DPoP proof of that key' : 'the DPoP proof is signed by another key than the one this refresh token is bound to',
      );
    }
    if (family.expiresAt <= now || (token.consumedAt === null && token.expiresAt <= now)) {
      throw invalidGrant('the refresh token has expired');
    }
    const user = await this.deps.users.find(family.userId);
    if (user === undefined || user.disabledAt !== null) throw invalidGrant('the user of this refresh token is disabled');
    const scopes = narrowScopes(requestedScope, family.scopes);

    const successor = this.successorOf(presented);
    const outcome = await this.deps.store.rotate(token.tokenHash, family.id, this.tokenRecord(hashSecret(successor), family, now), now);
    switch (outcome.kind) {
      case 'rotated':
        this.deps.metrics?.refreshRotated(false);
        return { family, user, scopes, refreshToken: successor, retried: false };
      case 'family_ended':
        throw invalidGrant('the refresh token was revoked');
      case 'expired':
        throw invalidGrant('the refresh token has expired');
      case 'consumed':
        if (await this.isRetry(outcome.consumedAt, outcome.successorHash, successor, now)) {
          this.deps.metrics?.refreshRotated(true);
          return { family, user, scopes, refreshToken: successor, retried: true };
        }
        await this.deps.revoker.endGrant(family.id);
        this.deps.metrics?.refreshReuseDetected();
        this.familyRevoked(family, 'reuse_detected', { type: 'client', id: client.clientId, requestId: origin?.requestId, address: origin?.address });
        throw invalidGrant('the refresh token was already used; every token of its login is now revoked');
    }
  }

  /** The token's record when it is live (introspection): unused, unexpired, family and user alive. */
  async findLive(presented: string): Promise<LiveRefreshToken | undefined> {
    const now = this.deps.clock.nowSeconds();
    const found = await this.deps.store.find(hashSecret(presented));
    if (found === undefined) return undefined;
    const { token, family } = found;
    if (token.consumedAt !== null || token.expiresAt <= now || family.revokedAt !== null || family.expiresAt <= now) return undefined;
    const user = await this.deps.users.find(family.userId);
    if (user === undefined || user.disabledAt !== null) return undefined;
    return { token, family, user };
  }

  /**
   * RFC 7009 for a refresh token: ends its family when it was issued to `clientId`. Returns
   * whether the token was this client's (the endpoint answers 200 either way).
   */
  async revokeFamilyOf(presented: string, clientId: string): Promise<boolean> {
    const found = await this.deps.store.find(hashSecret(presented));
    if (found === undefined || found.family.clientId !== clientId) return false;
    await this.deps.revoker.endGrant(found.family.id);
    this.familyRevoked(found.family, 'revocation_endpoint', { type: 'client', id: clientId });
    return true;
  }

  private familyRevoked(family: RefreshFamilyRecord, reason: 'reuse_detected' | 'revocation_endpoint', actor: Actor): void {
    this.deps.metrics?.revoked('refresh_family');
    const audit = this.deps.audit;
    if (audit === undefined) return;
    const fields = { family_id: family.id, client_id: family.clientId, sub: family.userId };
    if (reason === 'reuse_detected') audit.record({ event: 'refresh.reuse_detected', ...fields }, actor);
    audit.record({ event: 'refresh.family_revoked', ...fields, reason }, actor);
  }

  private successorOf(presented: string): string {
    return crypto.createHmac('sha256', this.deps.successorKey).update(presented, 'utf8').digest('base64url');
  }

  private async isRetry(consumedAt: number, successorHash: string | null, successor: string, now: number): Promise<boolean> {
    if (now - consumedAt > REFRESH_GRACE_SECONDS || successorHash !== hashSecret(successor)) return false;
    const head = await this.deps.store.find(successorHash);
    return head !== undefined && head.token.consumedAt === null && head.token.expiresAt > now && head.family.revokedAt === null;
  }

  private tokenRecord(tokenHash: string, family: RefreshFamilyRecord, now: number): RefreshTokenRecord {
    return {
      tokenHash,
      familyId: family.id,
      createdAt: now,
      expiresAt: Math.min(now + this.deps.idleTtlSeconds, family.expiresAt),
      consumedAt: null,
      successorHash: null,
    };
  }
}
