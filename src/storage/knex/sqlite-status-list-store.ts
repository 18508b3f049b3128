/**
 * The status-list store on SQLite: the knex store (status-list-store.ts), with the group commit of
 * issued indices, which runs under every token request, as prepared statements on the held
 * connection in one `BEGIN IMMEDIATE` transaction (sqlite-session.ts).
 */
import type { StatusListStore } from '../status-lists.js';
import type { SqliteSessions } from './sqlite-session.js';
import { issuedToRow } from './status-list-store.js';

const INSERT_ISSUED = 'INSERT INTO status_list_tokens (list_id, owner, issued_at, expires_at, indexes) VALUES (?, ?, ?, ?, ?)';

export function sqliteStatusListStore(knexStore: StatusListStore, sessions: SqliteSessions): StatusListStore {
  return {
    ...knexStore,

    recordIssued: async (batch) => {
      if (batch.length === 0) return;
      await sessions.transaction((sql) => {
        for (const issued of batch) {
          const row = issuedToRow(issued);
          sql.run(INSERT_ISSUED, row.list_id, row.owner, row.issued_at, row.expires_at, row.indexes);
        }
      });
    },
  };
}
