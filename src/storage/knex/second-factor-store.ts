/** TOTP factors and recovery codes in `totp_factors` / `recovery_codes` (migration 0017). */
import type { Knex } from 'knex';
import type { RecoveryCodeStore, TotpFactorRecord, TotpFactorStore } from '../second-factors.js';

interface TotpRow {
  id: string;
  user_id: string;
  sealed_secret: string;
  created_at: number;
  verified_at: number | null;
  last_used_step: number | null;
}

interface RecoveryRow {
  code_hash: string;
  user_id: string;
  created_at: number;
  used_at: number | null;
}

const optionalNumber = (value: number | string | null): number | null => (value === null ? null : Number(value));

function totpFromRow(row: TotpRow): TotpFactorRecord {
  return {
    id: row.id,
    userId: row.user_id,
    sealedSecret: row.sealed_secret,
    createdAt: Number(row.created_at),
    verifiedAt: optionalNumber(row.verified_at),
    lastUsedStep: optionalNumber(row.last_used_step),
  };
}

export function knexTotpFactorStore(db: Knex): TotpFactorStore {
  return {
    async insert(factor) {
      await db<TotpRow>('totp_factors').insert({
        id: factor.id,
        user_id: factor.userId,
        sealed_secret: factor.sealedSecret,
        created_at: factor.createdAt,
        verified_at: factor.verifiedAt,
        last_used_step: factor.lastUsedStep,
      });
    },
    async find(id) {
      const row = await db<TotpRow>('totp_factors').where({ id }).first();
      return row === undefined ? undefined : totpFromRow(row);
    },
    async listForUser(userId) {
      const rows = await db<TotpRow>('totp_factors').where({ user_id: userId }).orderBy([{ column: 'created_at' }, { column: 'id' }]);
      return rows.map(totpFromRow);
    },
    async markVerified(id, at, step) {
      return (await db<TotpRow>('totp_factors').where({ id }).whereNull('verified_at').update({ verified_at: at, last_used_step: step })) === 1;
    },
    async useStep(id, step) {
      const updated = await db<TotpRow>('totp_factors')
        .where({ id })
        .whereNotNull('verified_at')
        .andWhere((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
        .update({ last_used_step: step });
      return updated === 1;
    },
    async delete(userId, id) {
      return (await db<TotpRow>('totp_factors').where({ id, user_id: userId }).delete()) > 0;
    },
    async deleteAllForUser(userId) {
      return db<TotpRow>('totp_factors').where({ user_id: userId }).delete();
    },
  };
}

export function knexRecoveryCodeStore(db: Knex): RecoveryCodeStore {
  return {
    async replaceAll(userId, codeHashes, at) {
      await db.transaction(async (trx) => {
        await trx<RecoveryRow>('recovery_codes').where({ user_id: userId }).delete();
        if (codeHashes.length > 0) {
          await trx<RecoveryRow>('recovery_codes').insert(codeHashes.map((codeHash) => ({ code_hash: codeHash, user_id: userId, created_at: at, used_at: null })));
        }
      });
    },
    async use(userId, codeHash, at) {
      return (await db<RecoveryRow>('recovery_codes').where({ code_hash: codeHash, user_id: userId }).whereNull('used_at').update({ used_at: at })) === 1;
    },
    async countUnused(userId) {
      const row = await db<RecoveryRow>('recovery_codes').where({ user_id: userId }).whereNull('used_at').count<{ count: number | string }[]>({ count: '*' }).first();
      return Number(row?.count ?? 0);
    },
    async deleteAllForUser(userId) {
      return db<RecoveryRow>('recovery_codes').where({ user_id: userId }).delete();
    },
  };
}
