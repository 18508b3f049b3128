/**
 * The user store on SQLite: the knex store (user-store.ts), with `find` (by id, once per refresh
 * grant and userinfo call) as a prepared statement on the held connection (sqlite-session.ts).
 */
import type { UserStore } from '../people.js';
import type { SqliteSessions } from './sqlite-session.js';
import { userFromRow, type UserRow } from './user-store.js';

const FIND_USER = 'SELECT * FROM users WHERE id = ?';

export function sqliteUserStore(knexStore: UserStore, sessions: SqliteSessions): UserStore {
  return {
    ...knexStore,
    find: (id) =>
      sessions.withSession((sql) => {
        const row = sql.get<UserRow>(FIND_USER, id);
        return row === undefined ? undefined : userFromRow(row);
      }),
  };
}
