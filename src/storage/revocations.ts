/**
 * Revocation records as the database keeps them (implemented in knex/revocation-store.ts): an
 * append-only list, each record with a monotonic `id` (the push feed's event id) and kept only
 * until the latest `exp` among the tokens it can cover. Which tokens a record covers is the
 * domain's business (revocation/revocations.ts).
 *
 * The record vocabulary (targets and records) belongs to the verifier SDK, which imports nothing
 * from the server, so that both sides read records the same way. This file is the one place
 * storage imports it from, and the server's code takes these types from here.
 */
import type { RevocationRecord, RevocationTarget } from '@inkan/verifier/protocol';

export type { RevocationRecord, RevocationTarget };

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
  /**
   * Appends a record (its id is assigned by the store) and returns it; once committed it is
   * announced on the `revocations` change channel with its id. Ids become visible in id order,
   * on every engine, so a reader may resume after the last id it saw.
   */
  add(target: RevocationTarget, createdAt: number, expiresAt: number, statusEntry?: StatusEntry): Promise<StoredRevocation>;
  /** Records with id > `afterId` that have not expired at `now`, in id order (the feed's resume). */
  listSince(afterId: number, now: number, limit: number): Promise<StoredRevocation[]>;
  /** Deletes up to `limit` records expired at `now`; returns how many. */
  purgeExpired(now: number, limit: number): Promise<number>;
}
