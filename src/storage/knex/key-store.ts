/**
 * Signing keys in `signing_keys` and the key-state version in `key_state` (migration 0001). Every
 * change is a compare-and-set on the version that also announces itself on the `keys` change
 * channel when it commits, so every instance reloads its keyring at once (see change-feed.ts).
 */
import type { Knex } from 'knex';
import type { JWK } from 'jose';
import type { KeyStatus, KeyStore, SigningAlg, SigningKeyRecord } from '../keys.js';
import type { KnexChangeNotifier } from './change-feed.js';

/** An arbitrary constant naming Inkan's key-change lock among PostgreSQL advisory locks ("inkk"). */
const KEY_CHANGE_LOCK_KEY = 0x696e6b6b;

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

export interface KnexKeyStoreOptions {
  /** PostgreSQL with a pool of two connections or more: `withChangeLock` takes an advisory lock. */
  readonly advisoryLock: boolean;
}

export function knexKeyStore(db: Knex, changes: KnexChangeNotifier, options: KnexKeyStoreOptions = { advisoryLock: false }): KeyStore {
  const readVersion = async (q: Knex | Knex.Transaction): Promise<number> => {
    const row = await q('key_state').where({ id: 1 }).first<{ version: number }>('version');
    return Number(row?.version ?? 0);
  };

  // The version and the keys are read by two statements, which must see the same commit. SQLite
  // transactions are serialisable already (read-only: a deferred BEGIN, no write lock, see
  // sqlite-client.ts); PostgreSQL's default (read committed) lets an apply commit between the two,
  // pairing an old version with new keys, so ask for one snapshot.
  const snapshotOptions: Knex.TransactionConfig =
    (db.client as { dialect?: string }).dialect === 'postgresql' ? { isolationLevel: 'repeatable read', readOnly: true } : { readOnly: true };

  return {
    version: () => readVersion(db),

    async snapshot() {
      return db.transaction(async (trx) => {
        const version = await readVersion(trx);
        const rows = await trx<KeyRow>('signing_keys').orderBy('created_at').orderBy('kid');
        return { version, keys: rows.map(fromRow) };
      }, snapshotOptions);
    },

    async apply(expectedVersion, keyChanges) {
      return db.transaction(async (trx) => {
        // The conditional update comes first: it takes the write lock (SQLite) or the row lock
        // (PostgreSQL) before anything is read, and its row count decides who won.
        const updated = await trx('key_state')
          .where({ id: 1, version: expectedVersion })
          .update({ version: expectedVersion + 1 });
        if (updated !== 1) return false;
        for (const key of keyChanges.upsert) {
          const row = toRow(key);
          await trx('signing_keys').insert(row).onConflict('kid').merge();
        }
        if (keyChanges.remove.length > 0) await trx('signing_keys').whereIn('kid', keyChanges.remove).delete();
        await changes.publishOnCommit(trx, 'keys', String(expectedVersion + 1));
        return true;
      });
    },

    async withChangeLock(wait, work) {
      if (!options.advisoryLock) return work();
      // A transaction-scoped lock on a connection of its own: released at COMMIT, or by the
      // server if this process dies. `work` runs its statements on other pooled connections.
      return db.transaction(async (trx) => {
        if (wait) {
          await trx.raw('select pg_advisory_xact_lock(?)', [KEY_CHANGE_LOCK_KEY]);
        } else {
          const result = await trx.raw<{ rows: { locked: boolean }[] }>('select pg_try_advisory_xact_lock(?) as locked', [KEY_CHANGE_LOCK_KEY]);
          if (result.rows[0]?.locked !== true) return undefined;
        }
        return work();
      });
    },
  };
}
