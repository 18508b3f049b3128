import type { Knex } from 'knex';
import type { JWK } from 'jose';
import type { KeyStatus, KeyStore, SigningAlg, SigningKeyRecord } from '../stores.js';

interface KeyRow {
  kid: string;
  alg: string;
  status: string;
  public_jwk: string;
  sealed_private_key: string;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
  remove_after: number | null;
  revoked_at: number | null;
}

const optionalNumber = (value: number | null): number | null => (value === null ? null : Number(value));

function fromRow(row: KeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg as SigningAlg,
    status: row.status as KeyStatus,
    publicJwk: JSON.parse(row.public_jwk) as JWK,
    sealedPrivateKey: row.sealed_private_key,
    createdAt: Number(row.created_at),
    activatedAt: optionalNumber(row.activated_at),
    retiredAt: optionalNumber(row.retired_at),
    removeAfter: optionalNumber(row.remove_after),
    revokedAt: optionalNumber(row.revoked_at),
  };
}

function toRow(key: SigningKeyRecord): KeyRow {
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.status,
    public_jwk: JSON.stringify(key.publicJwk),
    sealed_private_key: key.sealedPrivateKey,
    created_at: key.createdAt,
    activated_at: key.activatedAt,
    retired_at: key.retiredAt,
    remove_after: key.removeAfter,
    revoked_at: key.revokedAt,
  };
}

export function knexKeyStore(db: Knex): KeyStore {
  const readVersion = async (q: Knex | Knex.Transaction): Promise<number> => {
    const row = await q('key_state').where({ id: 1 }).first<{ version: number }>('version');
    return Number(row?.version ?? 0);
  };

  // The version and the keys are read by two statements, which must see the same commit. SQLite
  // transactions are serialisable already; PostgreSQL's default (read committed) lets an apply
  // commit between the two, pairing an old version with new keys, so ask for one snapshot.
  const snapshotOptions: Knex.TransactionConfig =
    (db.client as { dialect?: string }).dialect === 'postgresql' ? { isolationLevel: 'repeatable read', readOnly: true } : {};

  return {
    version: () => readVersion(db),

    async snapshot() {
      return db.transaction(async (trx) => {
        const version = await readVersion(trx);
        const rows = await trx<KeyRow>('signing_keys').orderBy('created_at').orderBy('kid');
        return { version, keys: rows.map(fromRow) };
      }, snapshotOptions);
    },

    async apply(expectedVersion, changes) {
      return db.transaction(async (trx) => {
        // The conditional update comes first: it takes the write lock (SQLite) or the row lock
        // (PostgreSQL) before anything is read, and its row count decides who won.
        const updated = await trx('key_state')
          .where({ id: 1, version: expectedVersion })
          .update({ version: expectedVersion + 1 });
        if (updated !== 1) return false;
        for (const key of changes.upsert) {
          const row = toRow(key);
          await trx('signing_keys').insert(row).onConflict('kid').merge();
        }
        if (changes.remove.length > 0) await trx('signing_keys').whereIn('kid', changes.remove).delete();
        return true;
      });
    },
  };
}
