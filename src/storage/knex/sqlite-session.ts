/**
 * The hot statements on SQLite without knex's per-statement cost. Through knex a statement cost
 * ~40 µs on better-sqlite3 (query building, a prepare per call, pool and promise hops), ten times
 * the statement itself, and a refresh grant runs eight of them (`npm run bench`). Here they run on
 * knex's one pooled connection, held through knex's pool (so no knex transaction interleaves with
 * them, nor they with it), each prepared once per connection. Stores use it for their hot methods
 * only; everything else stays knex. A traced request's statements here get their spans from
 * statement-spans.ts, like knex's.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Knex } from 'knex';
import { inStatementSpan, statementDescriber } from './statement-spans.js';

/** Statements on a held connection; parameters are positional (`?`). */
export interface SqliteSession {
  get<Row>(sql: string, ...params: unknown[]): Row | undefined;
  /** Returns the number of rows changed. */
  run(sql: string, ...params: unknown[]): number;
}

export interface SqliteSessions {
  /**
   * Checkpoints the WAL every `intervalMs` instead of inside whichever commit crosses 1,000 pages
   * (`wal_autocheckpoint = 0`): a refresh grant's commit measured 38 → 17 µs alone, and the
   * commits of one interval write each hot page (an index leaf, a family row) to the database
   * once. Short intervals keep each checkpoint's pause short (200 ms: refresh p99 unchanged, at
   * 1 s it doubled). Returns the stop function; the last connection's close checkpoints the rest.
   */
  checkpointEvery(intervalMs: number, onError: (error: unknown) => void): () => void;
  /** Runs `work` with the connection held. */
  withSession<T>(work: (session: SqliteSession) => T | Promise<T>): Promise<T>;
  /** Runs `work` in one `BEGIN IMMEDIATE` transaction, committed unless it throws. */
  transaction<T>(work: (session: SqliteSession) => T | Promise<T>): Promise<T>;
}

export function sqliteSessions(db: Knex): SqliteSessions {
  const prepared = new WeakMap<Database, Map<string, Statement>>();
  // A traced request's statements get their spans here: knex's query events never see these.
  const describe = statementDescriber('sqlite');

  const sessionOf = (connection: Database): SqliteSession => {
    let statements = prepared.get(connection);
    if (statements === undefined) {
      statements = new Map();
      prepared.set(connection, statements);
    }
    const statement = (sql: string): Statement => {
      let found = statements.get(sql);
      if (found === undefined) {
        found = connection.prepare(sql);
        statements.set(sql, found);
      }
      return found;
    };
    return {
      get: <Row>(sql: string, ...params: unknown[]) => inStatementSpan(describe, sql, () => statement(sql).get(...params) as Row | undefined),
      run: (sql, ...params) => inStatementSpan(describe, sql, () => statement(sql).run(...params).changes),
    };
  };

  const withConnection = async <T>(work: (connection: Database) => T | Promise<T>): Promise<T> => {
    const connection = (await db.client.acquireConnection()) as Database;
    try {
      return await work(connection);
    } finally {
      await db.client.releaseConnection(connection);
    }
  };

  const withSession = <T>(work: (session: SqliteSession) => T | Promise<T>): Promise<T> => withConnection((connection) => work(sessionOf(connection)));

  return {
    withSession,
    checkpointEvery(intervalMs, onError) {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        withSession((sql) => sql.get('PRAGMA wal_checkpoint(PASSIVE)'))
          .catch(onError)
          .finally(() => (running = false));
      }, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    transaction: (work) =>
      withConnection(async (connection) => {
        const session = sessionOf(connection);
        session.run('BEGIN IMMEDIATE');
        try {
          const result = await work(session);
          session.run('COMMIT');
          return result;
        } catch (error) {
          if (connection.inTransaction) session.run('ROLLBACK');
          throw error;
        }
      }),
  };
}
