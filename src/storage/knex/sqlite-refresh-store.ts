/**
 * The refresh-token store on SQLite: the knex store (refresh-store.ts), with the two methods of
 * every refresh grant, `find` and `rotate`, run as prepared statements on the held connection
 * (sqlite-session.ts). `rotate` makes the same decision as on PostgreSQL (`rotation`), in one
 * `BEGIN IMMEDIATE` transaction. The storage contract suite runs against this store.
 */
import type { RefreshTokenStore } from '../refresh.js';
import { familyFromRow, rotation, tokenFromRow, tokenToRow, type FamilyRow, type TokenRow } from './refresh-store.js';
import type { SqliteSessions } from './sqlite-session.js';

const FIND_TOKEN = 'SELECT * FROM refresh_tokens WHERE token_hash = ?';
const FIND_FAMILY = 'SELECT * FROM refresh_families WHERE id = ?';
const TOUCH_LIVE_FAMILY = 'UPDATE refresh_families SET last_used_at = ? WHERE id = ? AND revoked_at IS NULL AND expires_at > ?';
const CONSUME_TOKEN =
  'UPDATE refresh_tokens SET consumed_at = ?, successor_hash = ? WHERE token_hash = ? AND family_id = ? AND consumed_at IS NULL AND expires_at > ?';
const INSERT_TOKEN = 'INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at, consumed_at, successor_hash) VALUES (?, ?, ?, ?, ?, ?)';

export function sqliteRefreshTokenStore(knexStore: RefreshTokenStore, sessions: SqliteSessions): RefreshTokenStore {
  return {
    ...knexStore,

    find: (tokenHash) =>
      sessions.withSession((sql) => {
        const token = sql.get<TokenRow>(FIND_TOKEN, tokenHash);
        const family = token === undefined ? undefined : sql.get<FamilyRow>(FIND_FAMILY, token.family_id);
        return token === undefined || family === undefined ? undefined : { token: tokenFromRow(token), family: familyFromRow(family) };
      }),

    rotate: (tokenHash, familyId, successor, now) =>
      sessions.transaction((sql) =>
        rotation({
          touchLiveFamily: () => sql.run(TOUCH_LIVE_FAMILY, now, familyId, now),
          consumeToken: () => sql.run(CONSUME_TOKEN, now, successor.tokenHash, tokenHash, familyId, now),
          insertSuccessor: () => {
            const row = tokenToRow(successor);
            sql.run(INSERT_TOKEN, row.token_hash, row.family_id, row.created_at, row.expires_at, row.consumed_at, row.successor_hash);
          },
          readToken: () => sql.get<TokenRow>(FIND_TOKEN, tokenHash),
        }),
      ),
  };
}
