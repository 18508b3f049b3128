/**
 * What the Token Status List keeps in the database: the lists (each leased by one process at a
 * time) and the entries whose bit is set. Implemented in storage/knex/status-list-store.ts.
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

export interface StatusListStore {
  /**
   * One write: leases a list free at `now` (its previous tokens all expired; its old entries are
   * cleared) or creates `newListId`; the list is free again after `freeAfter`.
   */
  lease(request: { now: number; leaseUntil: number; freeAfter: number; newListId: string; capacity: number }): Promise<StatusListLease>;
  /** The list's capacity, or undefined when no such list exists. */
  capacity(listId: string): Promise<number | undefined>;
  /** Sets bits (idempotent). */
  markRevoked(entries: readonly RevokedStatusEntry[]): Promise<void>;
  /** Indices whose bit is set and whose token has not expired at `now`. */
  revokedIndexes(listId: string, now: number): Promise<number[]>;
  /** Deletes the entries expired at `now`; returns how many. */
  purgeExpired(now: number): Promise<number>;
}
