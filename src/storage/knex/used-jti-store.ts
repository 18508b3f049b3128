/**
 * `used_jtis` (migration 0009_asymmetric): single use of assertion and proof jtis. `use` is one
 * `INSERT … ON CONFLICT DO NOTHING RETURNING key`: the primary key decides, so of two concurrent
 * presentations of one jti (on one instance or several) exactly one gets a row back.
 */
import type { Knex } from 'knex';
import type { UsedJtiStore } from '../used-jtis.js';

interface UsedJtiRow {
  key: string;
  expires_at: number;
}

export function knexUsedJtiStore(db: Knex): UsedJtiStore {
  return {
    async use(key, expiresAt) {
      const rows = await db<UsedJtiRow>('used_jtis').insert({ key, expires_at: expiresAt }).onConflict('key').ignore().returning('key');
      return rows.length === 1;
    },
    async purge(now, limit) {
      return db<UsedJtiRow>('used_jtis')
        .whereIn('key', db<UsedJtiRow>('used_jtis').select('key').where('expires_at', '<=', now).limit(limit))
        .delete();
    },
  };
}
