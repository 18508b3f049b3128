/**
 * `passkeys` and `webauthn_challenges` (migration 0018). Transports are JSON text. Single use is
 * decided by the database: a credential id is inserted with `ON CONFLICT DO NOTHING RETURNING`,
 * a challenge is taken by the delete of exactly the row read (one caller deletes it), and a use updates the
 * counter only where it still holds the value the assertion was checked against.
 */
import type { Knex } from 'knex';
import { DuplicatePasskeyError, type PasskeyRecord, type PasskeyStore, type WebAuthnCeremony, type WebAuthnChallengeStore } from '../passkeys.js';

interface PasskeyRow {
  id: string;
  user_id: string;
  public_key: string;
  counter: number | string;
  transports: string;
  backup_eligible: boolean | number;
  backed_up: boolean | number;
  name: string;
  created_at: number | string;
  last_used_at: number | string | null;
}

function fromRow(row: PasskeyRow): PasskeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: JSON.parse(row.transports) as string[],
    backupEligible: Boolean(row.backup_eligible),
    backedUp: Boolean(row.backed_up),
    name: row.name,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

export function knexPasskeyStore(db: Knex): PasskeyStore {
  const table = () => db<PasskeyRow>('passkeys');
  return {
    async insert(passkey) {
      const inserted = await table()
        .insert({
          id: passkey.id,
          user_id: passkey.userId,
          public_key: passkey.publicKey,
          counter: passkey.counter,
          transports: JSON.stringify(passkey.transports),
          backup_eligible: passkey.backupEligible,
          backed_up: passkey.backedUp,
          name: passkey.name,
          created_at: passkey.createdAt,
          last_used_at: passkey.lastUsedAt,
        })
        .onConflict('id')
        .ignore()
        .returning('id');
      if (inserted.length === 0) throw new DuplicatePasskeyError('this passkey is registered already');
    },
    async find(id) {
      const row = await table().where({ id }).first();
      return row === undefined ? undefined : fromRow(row);
    },
    async listForUser(userId) {
      const rows = await table().where({ user_id: userId }).orderBy([{ column: 'created_at' }, { column: 'id' }]);
      return rows.map(fromRow);
    },
    async rename(userId, id, name) {
      return (await table().where({ id, user_id: userId }).update({ name })) > 0;
    },
    async recordUse(id, use) {
      const updated = await table()
        .where({ id, counter: use.previousCounter })
        .update({ counter: use.counter, backed_up: use.backedUp, last_used_at: use.at });
      return updated > 0;
    },
    async remove(userId, id) {
      return (await table().where({ id, user_id: userId }).delete()) > 0;
    },
    async removeAllForUser(userId) {
      return table().where({ user_id: userId }).delete();
    },
  };
}

interface ChallengeRow {
  binding: string;
  challenge: string;
  ceremony: string;
  user_id: string | null;
  expires_at: number | string;
}

export function knexWebAuthnChallengeStore(db: Knex): WebAuthnChallengeStore {
  const table = () => db<ChallengeRow>('webauthn_challenges');
  return {
    async put(record) {
      const row: ChallengeRow = {
        binding: record.binding,
        challenge: record.challenge,
        ceremony: record.ceremony,
        user_id: record.userId,
        expires_at: record.expiresAt,
      };
      await table().insert(row).onConflict('binding').merge();
    },
    async take(binding) {
      const row = await table().where({ binding }).first();
      if (row === undefined) return undefined;
      // The delete of exactly this challenge decides: a concurrent take (or a put that replaced it) wins.
      const taken = await table().where({ binding, challenge: row.challenge }).delete();
      if (taken === 0) return undefined;
      return { binding: row.binding, challenge: row.challenge, ceremony: row.ceremony as WebAuthnCeremony, userId: row.user_id, expiresAt: Number(row.expires_at) };
    },
    async purge(now, limit) {
      return table()
        .whereIn('binding', table().select('binding').where('expires_at', '<=', now).limit(limit))
        .delete();
    },
  };
}
