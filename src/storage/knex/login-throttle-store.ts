/**
 * Login-attempt counters in the `login_throttle` table, so that a throttle holds across every
 * process sharing the database. `admit` is one transaction that reads the row first: on SQLite the
 * single writer serialises it; on PostgreSQL the row is locked `FOR UPDATE`.
 */
import type { Knex } from 'knex';
import type { LoginThrottleRecord, LoginThrottleStore } from '../people.js';

interface ThrottleRow {
  key: string;
  failures: number;
  last_failure_at: number;
  blocked_until: number;
}

function fromRow(row: ThrottleRow): LoginThrottleRecord {
  return {
    key: row.key,
    failures: Number(row.failures),
    lastFailureAt: Number(row.last_failure_at),
    blockedUntil: Number(row.blocked_until),
  };
}

export function knexLoginThrottleStore(db: Knex): LoginThrottleStore {
  const isPostgres = db.client.config.client === 'pg';
  return {
    async admit(key, at, rule) {
      return db.transaction(async (trx) => {
        await trx('login_throttle').insert({ key, failures: 0, last_failure_at: at, blocked_until: 0 }).onConflict('key').ignore();
        const query = trx<ThrottleRow>('login_throttle').where({ key });
        const current = fromRow((await (isPostgres ? query.forUpdate() : query).first())!);
        if (current.blockedUntil > at) return { admitted: false, record: current };
        const previous = at - current.lastFailureAt > rule.forgetAfterSeconds ? 0 : current.failures;
        const failures = previous + 1;
        const row: ThrottleRow = { key, failures, last_failure_at: at, blocked_until: at + rule.blockSeconds(failures) };
        await trx('login_throttle').where({ key }).update(row);
        return { admitted: true, record: fromRow(row) };
      });
    },
    async reset(key) {
      await db('login_throttle').where({ key }).delete();
    },
    async forgive(key) {
      await db('login_throttle').where({ key }).where('failures', '>', 0).decrement('failures', 1);
    },
    async purgeStale(lastFailureBefore, now, limit) {
      const stale = db<ThrottleRow>('login_throttle')
        .select('key')
        .where('last_failure_at', '<', lastFailureBefore)
        .where('blocked_until', '<=', now)
        .limit(limit);
      return db<ThrottleRow>('login_throttle').whereIn('key', stale).delete();
    },
  };
}
