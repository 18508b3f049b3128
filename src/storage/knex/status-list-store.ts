/**
 * Token Status Lists in `status_lists` and `status_list_entries` (migration 0007_status_lists), and
 * the indices issued to each owner in `status_list_tokens` (migration 0013), one row per owner,
 * list and second of a group commit, its indices packed as 16-bit little-endian integers.
 */
import type { Knex } from 'knex';
import type { IssuedStatusIndexes, RevokedStatusEntry, StatusListStore } from '../status-lists.js';

interface ListRow {
  id: string;
  capacity: number;
  created_at: number;
  lease_until: number;
  free_after: number;
}

interface IssuedRow {
  list_id: string;
  owner: string;
  issued_at: number;
  expires_at: number;
  indexes: Buffer;
}

/** The row of a batch entry: its indices packed two bytes each, little-endian. */
export function issuedToRow(issued: IssuedStatusIndexes): IssuedRow {
  const indexes = Buffer.alloc(issued.indexes.length * 2);
  issued.indexes.forEach((idx, i) => indexes.writeUInt16LE(idx, i * 2));
  return { list_id: issued.listId, owner: issued.owner, issued_at: issued.issuedAt, expires_at: issued.expiresAt, indexes };
}

function entriesOfRow(row: Pick<IssuedRow, 'list_id' | 'expires_at' | 'indexes'>): RevokedStatusEntry[] {
  const packed = Buffer.from(row.indexes);
  const entries: RevokedStatusEntry[] = [];
  for (let offset = 0; offset + 1 < packed.length; offset += 2) {
    entries.push({ listId: row.list_id, idx: packed.readUInt16LE(offset), expiresAt: Number(row.expires_at) });
  }
  return entries;
}

export function knexStatusListStore(db: Knex): StatusListStore {
  const isPostgres = (db.client as { config: Knex.Config }).config.client === 'pg';
  return {
    async lease({ now, leaseUntil, freeAfter, newListId, capacity }) {
      return db.transaction(async (trx) => {
        let query = trx<ListRow>('status_lists').where('free_after', '<=', now).where('capacity', capacity).orderBy('free_after').first();
        // Two processes must not lease the same list: PostgreSQL locks the row (skipping one a
        // peer is taking); SQLite has a single writer and the update below re-checks anyway.
        if (isPostgres) query = query.forUpdate().skipLocked();
        const free = await query;
        if (free !== undefined) {
          const updated = await trx('status_lists')
            .where({ id: free.id })
            .where('free_after', '<=', now)
            .update({ lease_until: leaseUntil, free_after: freeAfter });
          if (updated === 1) {
            await trx('status_list_entries').where({ list_id: free.id }).delete();
            await trx('status_list_tokens').where({ list_id: free.id }).delete();
            return { listId: free.id, capacity: Number(free.capacity), leaseUntil };
          }
        }
        await trx('status_lists').insert({ id: newListId, capacity, created_at: now, lease_until: leaseUntil, free_after: freeAfter });
        return { listId: newListId, capacity, leaseUntil };
      });
    },

    async capacity(listId) {
      const row = await db<ListRow>('status_lists').where({ id: listId }).first('capacity');
      return row === undefined ? undefined : Number(row.capacity);
    },

    async recordIssued(batch) {
      if (batch.length === 0) return;
      const rows = batch.map(issuedToRow);
      await db.transaction(async (trx) => {
        for (let start = 0; start < rows.length; start += 200) await trx('status_list_tokens').insert(rows.slice(start, start + 200));
      });
    },

    async issuedTo(owner, now, issuedBefore) {
      let query = db<IssuedRow>('status_list_tokens').where({ owner }).where('expires_at', '>', now);
      if (issuedBefore !== undefined) query = query.where('issued_at', '<', issuedBefore);
      const rows = await query.select('list_id', 'expires_at', 'indexes');
      return rows.flatMap(entriesOfRow);
    },

    async markRevoked(entries) {
      if (entries.length === 0) return;
      const rows = entries.map((entry) => ({ list_id: entry.listId, idx: entry.idx, expires_at: entry.expiresAt }));
      for (let start = 0; start < rows.length; start += 500) {
        await db('status_list_entries').insert(rows.slice(start, start + 500)).onConflict(['list_id', 'idx']).ignore();
      }
    },

    async revokedIndexes(listId, now) {
      const rows = await db('status_list_entries').where({ list_id: listId }).where('expires_at', '>', now).select<{ idx: number }[]>('idx');
      return rows.map((row) => Number(row.idx));
    },

    async purgeExpired(now) {
      const entries = await db('status_list_entries').where('expires_at', '<=', now).delete();
      return entries + (await db('status_list_tokens').where('expires_at', '<=', now).delete());
    },
  };
}
