/** Login sessions in the `sessions` table, found by the SHA-256 of the cookie's secret. */
import type { Knex } from 'knex';
import type { SessionRecord, SessionStore } from '../people.js';
import { methodsFromColumn, methodsToColumn } from './methods-column.js';

interface SessionRow {
  id: string;
  secret_hash: string;
  user_id: string;
  auth_time: number;
  auth_methods: string;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
}

function fromRow(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    userId: row.user_id,
    authTime: Number(row.auth_time),
    authMethods: methodsFromColumn(row.auth_methods),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
  };
}

export function knexSessionStore(db: Knex): SessionStore {
  return {
    async insert(session) {
      await db<SessionRow>('sessions').insert({
        id: session.id,
        secret_hash: session.secretHash,
        user_id: session.userId,
        auth_time: session.authTime,
        auth_methods: methodsToColumn(session.authMethods),
        created_at: session.createdAt,
        expires_at: session.expiresAt,
        ended_at: session.endedAt,
      });
    },
    async find(id) {
      const row = await db<SessionRow>('sessions').where({ id }).first();
      return row === undefined ? undefined : fromRow(row);
    },
    async findBySecretHash(secretHash) {
      const row = await db<SessionRow>('sessions').where({ secret_hash: secretHash }).first();
      return row === undefined ? undefined : fromRow(row);
    },
    async reauthenticate(id, secretHash, authTime, authMethods) {
      await db<SessionRow>('sessions').where({ id }).update({ secret_hash: secretHash, auth_time: authTime, auth_methods: methodsToColumn(authMethods) });
    },
    async end(id, at) {
      return (await db<SessionRow>('sessions').where({ id }).whereNull('ended_at').update({ ended_at: at })) > 0;
    },
    async endAllForUser(userId, at) {
      return db.transaction(async (trx) => {
        const rows = await trx<SessionRow>('sessions').where({ user_id: userId }).whereNull('ended_at').select('id');
        const ids = rows.map((row) => row.id);
        if (ids.length > 0) await trx<SessionRow>('sessions').whereIn('id', ids).whereNull('ended_at').update({ ended_at: at });
        return ids;
      });
    },
    async listLiveForUser(userId, now) {
      const rows = await db<SessionRow>('sessions').where({ user_id: userId }).whereNull('ended_at').where('expires_at', '>', now).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }]);
      return rows.map(fromRow);
    },
    async purgeOver(before, limit) {
      const over = db<SessionRow>('sessions')
        .select('id')
        .where((q) => q.where('ended_at', '<', before).orWhere('expires_at', '<', before))
        .limit(limit);
      return db<SessionRow>('sessions').whereIn('id', over).delete();
    },
  };
}
