/**
 * Revocation records: the answer to "a JWT cannot be taken back". Each record says which access
 * tokens are no longer valid and is kept only until the latest `exp` among the tokens it can cover,
 * so the whole list stays small enough for every verifier to hold in memory.
 *
 * Records are written by one service, revocation/revoker.ts, whatever ended (a token, a grant, a
 * session, a person, a client); they are read by introspection and userinfo, by the push feed
 * (every record has a monotonic `id`, the feed's event id) and by the status lists.
 */

// The pure part (targets, records, `isCoveredBy`) lives in the verifier SDK, `@inkan/verifier/protocol`,
// which may import nothing from the server; both sides run the very same rule.
import type { RevocableClaims, RevocationRecord, RevocationTarget } from '@inkan/verifier/protocol';
export {
  isCoveredBy,
  type RevocableClaims,
  type RevocationKind,
  type RevocationRecord,
  type RevocationTarget,
} from '@inkan/verifier/protocol';

/** Where one token's status bit lives (its `status.status_list` claim, with the list's id). */
export interface StatusEntry {
  readonly listId: string;
  readonly idx: number;
}

/**
 * A record as the server keeps it: a `jti` record also says where that token's status bit is, so
 * any process can set it without knowing the token (the feed and the SDK never see this).
 */
export interface StoredRevocation extends RevocationRecord {
  readonly statusEntry?: StatusEntry | undefined;
}

export interface RevocationStore {
  /** Appends a record (its id is assigned by the store) and returns it. */
  add(target: RevocationTarget, createdAt: number, expiresAt: number, statusEntry?: StatusEntry): Promise<StoredRevocation>;
  /** Records with id > `afterId` that have not expired at `now`, in id order (the feed's resume). */
  listSince(afterId: number, now: number, limit: number): Promise<StoredRevocation[]>;
  /** Deletes up to `limit` records expired at `now`; returns how many. */
  purgeExpired(now: number, limit: number): Promise<number>;
}

/**
 * The key a record is filed under (`jti:…`, `sub:…`, `sid:…`, `grant:…`, `client:…`): a record can
 * only cover a token that has the same key among its `tokenKeys`.
 */
export function targetKey(target: RevocationTarget): string {
  switch (target.kind) {
    case 'jti':
      return `jti:${target.jti}`;
    case 'subject':
      return `sub:${target.sub}`;
    case 'session':
      return `sid:${target.sid}`;
    case 'grant':
      return `grant:${target.grantId}`;
    case 'client':
      return `client:${target.clientId}`;
  }
}

/** The keys of the records that could cover a token with these claims. */
export function tokenKeys(claims: RevocableClaims): string[] {
  return [`jti:${claims.jti}`, ...ownerKeys(claims)];
}

/**
 * The keys of the token's owners: everything but its own jti that a record can name (the status
 * lists record a token's index under each of them).
 */
export function ownerKeys(claims: Omit<RevocableClaims, 'jti' | 'iat'>): string[] {
  const keys = [`client:${claims.client_id}`, `sub:${claims.sub}`];
  if (claims.sid !== undefined) keys.push(`sid:${claims.sid}`);
  if (claims.grant_id !== undefined) keys.push(`grant:${claims.grant_id}`);
  return keys;
}
