/**
 * What the Token Status List keeps in the database: the lists (each leased by one process at a
 * time), which indices the tokens of each owner hold (written in group commits as tokens are
 * issued), and the entries whose bit is set. Implemented in knex/status-list-store.ts (with
 * sqlite-status-list-store.ts for SQLite's group commit); the domain is revocation/status-lists.ts.
 */

export interface StatusListLease {
  readonly listId: string;
  readonly capacity: number;
  /** The process may hand out indices of this list until then. */
  readonly leaseUntil: number;
}

export interface RevokedStatusEntry {
  readonly listId: string;
  readonly idx: number;
  /** The covered token's `exp`: after it the bit no longer matters. */
  readonly expiresAt: number;
}

/**
 * The indices that tokens of one owner, issued in one second from one list, hold. An owner is what
 * a revocation record can name: `client:<client_id>`, `sub:<sub>`, `sid:<sid>` or `grant:<grant_id>`.
 */
export interface IssuedStatusIndexes {
  readonly listId: string;
  readonly owner: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Each below 65 536 (a list's capacity). */
  readonly indexes: readonly number[];
}

export interface StatusListStore {
  /**
   * One write: leases a list free at `now` (its previous tokens all expired; its old entries are
   * cleared) or creates `newListId`; the list is free again after `freeAfter`.
   */
  lease(request: { now: number; leaseUntil: number; freeAfter: number; newListId: string; capacity: number }): Promise<StatusListLease>;
  /** The list's capacity, or undefined when no such list exists. */
  capacity(listId: string): Promise<number | undefined>;
  /** Records issued indices, all in one transaction (a group commit). */
  recordIssued(batch: readonly IssuedStatusIndexes[]): Promise<void>;
  /** The entries of `owner`'s tokens unexpired at `now` and, when given, issued before `issuedBefore`. */
  issuedTo(owner: string, now: number, issuedBefore?: number): Promise<RevokedStatusEntry[]>;
  /** Sets bits (idempotent). */
  markRevoked(entries: readonly RevokedStatusEntry[]): Promise<void>;
  /** Indices whose bit is set and whose token has not expired at `now`. */
  revokedIndexes(listId: string, now: number): Promise<number[]>;
  /** Deletes the entries and issued indices expired at `now`; returns how many rows. */
  purgeExpired(now: number): Promise<number>;
}
