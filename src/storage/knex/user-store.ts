/** Users in the `users` table; email uniqueness and lookups go through the normalised column (`normalizeEmail`). */
import type { Knex } from 'knex';
import { DuplicateEmailError, normalizeEmail, type UserRecord, type UserStore } from '../people.js';

export interface UserRow {
  id: string;
  email: string;
  email_normalized: string;
  name: string | null;
  password_hash: string;
  disabled_at: number | null;
  created_at: number;
}

export function userFromRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    disabledAt: row.disabled_at === null ? null : Number(row.disabled_at),
    createdAt: Number(row.created_at),
  };
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(e.message ?? '');
}

export function knexUserStore(db: Knex): UserStore {
  return {
    async insert(user) {
      try {
        await db<UserRow>('users').insert({
          id: user.id,
          email: user.email,
          email_normalized: normalizeEmail(user.email),
          name: user.name,
          password_hash: user.passwordHash,
          disabled_at: user.disabledAt,
          created_at: user.createdAt,
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new DuplicateEmailError('a user with this email already exists', { cause: error });
        throw error;
      }
    },
    async find(id) {
      const row = await db<UserRow>('users').where({ id }).first();
      return row === undefined ? undefined : userFromRow(row);
    },
    async findByEmail(email) {
      const row = await db<UserRow>('users').where({ email_normalized: normalizeEmail(email) }).first();
      return row === undefined ? undefined : userFromRow(row);
    },
    async updatePasswordHash(id, passwordHash) {
      await db<UserRow>('users').where({ id }).update({ password_hash: passwordHash });
    },
    async disable(id, at) {
      const found = await db<UserRow>('users').where({ id }).first('id', 'disabled_at');
      if (found === undefined) return false;
      await db<UserRow>('users').where({ id }).whereNull('disabled_at').update({ disabled_at: at });
      return true;
    },
    async enable(id) {
      return (await db<UserRow>('users').where({ id }).whereNotNull('disabled_at').update({ disabled_at: null })) > 0;
    },
    async search(text, limit) {
      // LIKE with the wildcards of the text escaped, so `_` and `%` match themselves.
      const pattern = `%${normalizeEmail(text).replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
      const rows = await db<UserRow>('users').whereRaw("email_normalized LIKE ? ESCAPE '\\'", [pattern]).orderBy([{ column: 'created_at' }, { column: 'id' }]).limit(limit);
      return rows.map(userFromRow);
    },
  };
}
