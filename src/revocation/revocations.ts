/**
 * Revocation records: the answer to "a JWT cannot be taken back". Each record says which access
 * tokens are no longer valid and is kept only until the latest `exp` among the tokens it can cover,
 * so the whole list stays small enough for every verifier to hold in memory.
 *
 * Records are written by the revocation endpoint (RFC 7009), logout, `tokens revoke --email`,
 * `users disable` and `clients delete`; they are read by introspection and userinfo, by the push
 * feed (every record has a monotonic `id`, the feed's event id) and by the status list.
 */

// The pure part (targets, records, `isCoveredBy`) lives with the verifier SDK, which may import
// nothing from the server; both sides run the very same rule.
import type { RevocationRecord, RevocationTarget } from '../verifier/revocation-records.js';
export { isCoveredBy, type RevocableClaims, type RevocationRecord, type RevocationTarget } from '../verifier/revocation-records.js';

export interface RevocationStore {
  /** Appends a record (its id is assigned by the store) and returns it. */
  add(target: RevocationTarget, createdAt: number, expiresAt: number): Promise<RevocationRecord>;
  /** Records with id > `afterId` that have not expired at `now`, in id order (the feed's resume). */
  listSince(afterId: number, now: number, limit: number): Promise<RevocationRecord[]>;
  /** Deletes up to `limit` records expired at `now`; returns how many. */
  purgeExpired(now: number, limit: number): Promise<number>;
}
