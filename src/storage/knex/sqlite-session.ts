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
import { performance } from 'node:perf_hooks';
import { SQLITE_BUSY_TIMEOUT_MS } from './connection.js';
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
    transaction: async (work) => {
      // Tries the write lock without waiting while `beginWithoutWaiting` says busy, giving the
      // connection back between tries (see BEGIN_YIELD_MS); then waits in SQLite as before.
      const yieldUntil = performance.now() + BEGIN_YIELD_MS;
      for (let attempt = 0; performance.now() < yieldUntil; attempt += 1) {
        const outcome = await withConnection(async (connection) => {
          if (!beginWithoutWaiting(connection, sessionOf(connection))) return BUSY;
          return { result: await committed(connection, work) };
        });
        if (outcome !== BUSY) return outcome.result;
        await (attempt < 3 ? new Promise((resolve) => setImmediate(resolve)) : new Promise((resolve) => setTimeout(resolve, 1)));
      }
      return withConnection((connection) => {
        sessionOf(connection).run('BEGIN IMMEDIATE');
        return committed(connection, work);
      });
    },
  };

  /** Runs `work` in the transaction begun on `connection`: COMMIT, or ROLLBACK when it throws. */
  async function committed<T>(connection: Database, work: (session: SqliteSession) => T | Promise<T>): Promise<T> {
    const session = sessionOf(connection);
    try {
      const result = await work(session);
      session.run('COMMIT');
      return result;
    } catch (error) {
      if (connection.inTransaction) session.run('ROLLBACK');
      throw error;
    }
  }
}

const BUSY = Symbol('busy');

/**
 * How long a transaction waits for the write lock another process holds (a second worker of
 * WORKERS > 1, the CLI) by yielding to the event loop rather than in SQLite's busy handler. That
 * handler sleeps inside the call (1, 2, 5, 10 ms…), and a sleeping call stops the whole process:
 * every request it was serving waits too. Yielding, the process serves other requests while the
 * other writer finishes (its transactions take tens of microseconds). After this, the busy handler
 * waits as before (busy_timeout, connection.ts).
 */
const BEGIN_YIELD_MS = 1000;

interface LockStatements {
  readonly noWait: Statement;
  readonly wait: Statement;
}
const lockStatements = new WeakMap<Database, LockStatements>();

/**
 * `BEGIN IMMEDIATE` with busy_timeout 0 for this statement only: false when another connection
 * holds the write lock. (The pragmas run outside statement spans: they are not the request's work.)
 */
function beginWithoutWaiting(connection: Database, session: SqliteSession): boolean {
  let pragmas = lockStatements.get(connection);
  if (pragmas === undefined) {
    pragmas = { noWait: connection.prepare('PRAGMA busy_timeout = 0'), wait: connection.prepare(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`) };
    lockStatements.set(connection, pragmas);
  }
  pragmas.noWait.run();
  try {
    session.run('BEGIN IMMEDIATE');
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return false;
    throw error;
  } finally {
    pragmas.wait.run();
  }
}
