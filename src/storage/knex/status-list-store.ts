/** Token Status Lists in `status_lists` and `status_list_entries` (migration 0007_status_lists). */
import type { Knex } from 'knex';
import type { StatusListStore } from '../../revocation/status-list-store.js';

interface ListRow {
  id: string;
  capacity: number;
  created_at: number;
  lease_until: number;
  free_after: number;
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

    async markRevoked(entries) {
      if (entries.length === 0) return;
      const rows = entries.map((entry) => ({ list_id: entry.listId, idx: entry.idx, expires_at: entry.expiresAt }));
      for (let start = 0; start < rows.length; start += 500) {
        await db('status_list_entries').insert(rows.slice(start, start + 500)).onConflict(['list_id', 'idx']).merge(['expires_at']);
      }
    },

    async revokedIndexes(listId, now) {
      const rows = await db('status_list_entries').where({ list_id: listId }).where('expires_at', '>', now).select<{ idx: number }[]>('idx');
      return rows.map((row) => Number(row.idx));
    },

    async purgeExpired(now) {
      return db('status_list_entries').where('expires_at', '<=', now).delete();
    },
  };
}
