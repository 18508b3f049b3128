/**
 * Revocation records in `revocations` (migration 0003_refresh). The auto-increment `id` is the
 * revocation feed's event id, and readers resume with `listSince(lastSeenId)`; that is only
 * correct if ids become visible in id order. SQLite has one writer at a time, so they do; on
 * PostgreSQL two concurrent inserts could commit out of order (a reader would then skip the
 * smaller id for ever), so `add` takes a transaction-scoped advisory lock first, which serialises
 * the (rare) revocations of every process sharing the database.
 */
import type { Knex } from 'knex';
import type { RevocationStore, RevocationTarget, StoredRevocation } from '../revocations.js';
import type { KnexChangeNotifier } from './change-feed.js';

interface RevocationRow {
  id: number;
  kind: string;
  value: string;
  not_before: number | null;
  created_at: number;
  expires_at: number;
  /** A jti record's status bit (migration 0013). */
  status_list_id: string | null;
  status_idx: number | null;
}

/** An arbitrary constant naming Inkan's revocation-append lock among PostgreSQL advisory locks. */
const APPEND_LOCK_KEY = 0x696e6b61;

function targetToColumns(target: RevocationTarget): Pick<RevocationRow, 'kind' | 'value' | 'not_before'> {
  switch (target.kind) {
    case 'jti':
      return { kind: 'jti', value: target.jti, not_before: null };
    case 'subject':
      return { kind: 'subject', value: target.sub, not_before: target.notBefore };
    case 'session':
      return { kind: 'session', value: target.sid, not_before: null };
    case 'grant':
      return { kind: 'grant', value: target.grantId, not_before: null };
    case 'client':
      return { kind: 'client', value: target.clientId, not_before: target.notBefore };
  }
}

function targetFromRow(row: RevocationRow): RevocationTarget {
  switch (row.kind) {
    case 'jti':
      return { kind: 'jti', jti: row.value };
    case 'subject':
      return { kind: 'subject', sub: row.value, notBefore: Number(row.not_before) };
    case 'session':
      return { kind: 'session', sid: row.value };
    case 'grant':
      return { kind: 'grant', grantId: row.value };
    case 'client':
      return { kind: 'client', clientId: row.value, notBefore: Number(row.not_before) };
    default:
      throw new Error(`revocation ${row.id} has an unknown kind ${JSON.stringify(row.kind)}`);
  }
}

function fromRow(row: RevocationRow): StoredRevocation {
  const record = { id: Number(row.id), target: targetFromRow(row), createdAt: Number(row.created_at), expiresAt: Number(row.expires_at) };
  return row.status_list_id === null || row.status_idx === null ? record : { ...record, statusEntry: { listId: row.status_list_id, idx: Number(row.status_idx) } };
}

/** `changes`: every committed record is announced on the `revocations` channel (payload: its id). */
export function knexRevocationStore(db: Knex, changes: KnexChangeNotifier): RevocationStore {
  const isPostgres = (db.client as { config: Knex.Config }).config.client === 'pg';
  return {
    async add(target, createdAt, expiresAt, statusEntry) {
      return db.transaction(async (trx) => {
        if (isPostgres) await trx.raw('select pg_advisory_xact_lock(?)', [APPEND_LOCK_KEY]);
        const [inserted] = await trx<RevocationRow>('revocations').insert(
          {
            ...targetToColumns(target),
            created_at: createdAt,
            expires_at: expiresAt,
            status_list_id: statusEntry?.listId ?? null,
            status_idx: statusEntry?.idx ?? null,
          },
          ['id'],
        );
        const id = Number(typeof inserted === 'object' ? inserted.id : inserted);
        await changes.publishOnCommit(trx, 'revocations', String(id));
        return statusEntry === undefined ? { id, target, createdAt, expiresAt } : { id, target, createdAt, expiresAt, statusEntry };
      });
    },

    async listSince(afterId, now, limit) {
      const rows = await db<RevocationRow>('revocations').where('id', '>', afterId).where('expires_at', '>', now).orderBy('id').limit(limit);
      return rows.map(fromRow);
    },

    async purgeExpired(now, limit) {
      return db<RevocationRow>('revocations')
        .whereIn('id', db<RevocationRow>('revocations').select('id').where('expires_at', '<=', now).limit(limit))
        .delete();
    },
  };
}
