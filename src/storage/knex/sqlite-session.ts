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
import { inStatementSpan, statementDescriber, statementsLater } from './statement-spans.js';

/** Statements on a held connection; parameters are positional (`?`). */
export interface SqliteSession {
  get<Row>(sql: string, ...params: unknown[]): Row | undefined;
  /** Returns the number of rows changed. */
  run(sql: string, ...params: unknown[]): number;
}

export interface SqliteSessions {
  /** Runs `work` with the connection held. */
  withSession<T>(work: (session: SqliteSession) => T | Promise<T>): Promise<T>;
  /**
   * Runs `work` in a `BEGIN IMMEDIATE` transaction, committed unless it throws; the transaction
   * may be shared with others asked for in the same turn of the event loop (the group commit
   * below), each in its own savepoint, so `work` must not wait on anything but its statements.
   */
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

  let waiting: Waiting[] = [];
  let scheduled = false;
  let committing = false;

  return {
    withSession,
    transaction: (work) =>
      new Promise((resolve, reject) => {
        waiting.push({ work: statementsLater(work), resolve, reject } as Waiting);
        scheduleCommit();
      }),
  };

  /**
   * The group commit: every transaction asked for while the event loop was busy (under load, the
   * requests read in one poll phase) runs in one `BEGIN IMMEDIATE … COMMIT` at the next turn, each
   * inside its own savepoint. A refresh grant's commit (writing its pages to the WAL) measured
   * ~55 µs against ~45 µs for all of its statements, and a batch writes each hot page once; with
   * WORKERS > 1, fewer commits also mean fewer times the other workers drop their page caches.
   * One batch at a time: what arrives while one commits waits for the next, and grows it.
   */
  function scheduleCommit(): void {
    if (scheduled || committing) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      committing = true;
      const batch = waiting;
      waiting = [];
      void commitBatch(batch).finally(() => {
        committing = false;
        if (waiting.length > 0) scheduleCommit();
      });
    });
  }

  async function commitBatch(batch: readonly Waiting[]): Promise<void> {
    try {
      // Tries the write lock without waiting while `beginWithoutWaiting` says busy, giving the
      // connection back between tries (see BEGIN_YIELD_MS); then waits in SQLite as before.
      const yieldUntil = performance.now() + BEGIN_YIELD_MS;
      for (let attempt = 0; performance.now() < yieldUntil; attempt += 1) {
        const done = await withConnection(async (connection) => {
          if (!beginWithoutWaiting(connection, sessionOf(connection))) return false;
          await runBatch(connection, batch);
          return true;
        });
        if (done) return;
        await (attempt < 3 ? new Promise((resolve) => setImmediate(resolve)) : new Promise((resolve) => setTimeout(resolve, 1)));
      }
      await withConnection((connection) => {
        sessionOf(connection).run('BEGIN IMMEDIATE');
        return runBatch(connection, batch);
      });
    } catch (error) {
      // The lock or the connection failed: nothing of the batch ran.
      for (const { reject } of batch) reject(error);
    }
  }

  /**
   * Runs each waiting work in the transaction begun on `connection`, then commits. A work that
   * throws is rolled back alone (to its savepoint) and its caller gets its error; the others'
   * callers learn their outcome once COMMIT has succeeded. A lone work needs no savepoint: its
   * error rolls the transaction back. When the transaction itself is lost (COMMIT failed, or a
   * statement error that ends it, such as a full disk), every caller of the batch gets that error.
   */
  async function runBatch(connection: Database, batch: readonly Waiting[]): Promise<void> {
    const session = sessionOf(connection);
    const outcomes: Array<() => void> = [];
    try {
      for (const { work, resolve, reject } of batch) {
        if (batch.length > 1) session.run('SAVEPOINT work');
        try {
          const result = await work(session);
          if (batch.length > 1) session.run('RELEASE work');
          outcomes.push(() => resolve(result));
        } catch (error) {
          if (batch.length === 1 || !connection.inTransaction) throw error;
          session.run('ROLLBACK TO work');
          session.run('RELEASE work');
          outcomes.push(() => reject(error));
        }
      }
      session.run('COMMIT');
    } catch (error) {
      if (connection.inTransaction) session.run('ROLLBACK');
      for (const { reject } of batch) reject(error);
      return;
    }
    for (const settle of outcomes) settle();
  }
}

interface Waiting {
  readonly work: (session: SqliteSession) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

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
