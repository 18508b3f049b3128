/**
 * Opens the database named by the configuration: better-sqlite3 by default, PostgreSQL through
 * `pg` when DATABASE_URL says so. The only place that knows how each engine is tuned, how start-up
 * waits for a PostgreSQL that is not up yet, and how migrations run when several instances start
 * at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { DEFAULT_DATABASE_TUNING, type DatabaseConfig, type DatabaseTuning } from '../database.js';
import { migrationSource } from './migrations.js';
import { sqliteClient } from './sqlite-client.js';
import { restrictMode } from '../../file-modes.js';

// PostgreSQL returns int8 as a string to protect values above 2^53; Inkan's int8 columns hold Unix
// seconds and counters, far below that, so read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/** One connection attempt that hangs (a black-holed host) fails after this, instead of holding a request. */
const PG_CONNECT_ATTEMPT_MS = 5000;
/** A request waits at most this long for a free pooled connection before it fails (pool exhausted). */
const PG_ACQUIRE_TIMEOUT_MS = 10_000;
/** An arbitrary constant naming Inkan's migration lock among PostgreSQL advisory locks ("inkm"). */
const MIGRATION_LOCK_KEY = 0x696e6b6d;

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** The URL without its password, for messages and logs. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.engine === 'sqlite') return `sqlite:${database.filename}`;
  try {
    const url = new URL(database.url);
    url.password = '';
    return url.toString();
  } catch {
    return 'the PostgreSQL database of DATABASE_URL';
  }
}

/**
 * knex prints warnings with console.log, stacks included: a failed connection attempt would put a
 * multi-line stack on stdout for every request during a database outage. The caller of the query
 * gets that error anyway (readiness, the error middleware, start-up), so it is dropped here; other
 * warnings go to stderr as one line.
 */
const knexLog = {
  warn(message: unknown): void {
    const text = String(message);
    if (!text.startsWith('Acquire connection error')) process.stderr.write(`inkan: knex: ${text.split('\n')[0]}\n`);
  },
  deprecate(method: unknown, alternative: unknown): void {
    process.stderr.write(`inkan: knex: ${String(method)} is deprecated, use ${String(alternative)}\n`);
  },
};

export function knexConfig(database: DatabaseConfig, tuning: DatabaseTuning = DEFAULT_DATABASE_TUNING): Knex.Config {
  const migrations = { migrationSource, tableName: 'knex_migrations' };
  if (database.engine === 'postgres') {
    return {
      client: 'pg',
      log: knexLog,
      connection: { connectionString: database.url, application_name: 'inkan', keepAlive: true, connectionTimeoutMillis: PG_CONNECT_ATTEMPT_MS },
      acquireConnectionTimeout: PG_ACQUIRE_TIMEOUT_MS,
      pool: {
        min: 0,
        max: tuning.poolMax,
        // Every statement of the pool is bounded: a stuck query fails (and frees its connection)
        // instead of piling requests up behind it. Set per session rather than as a start-up
        // parameter, which connection poolers such as PgBouncer refuse.
        afterCreate(connection: pg.Client, done: (error: Error | null, connection: pg.Client) => void) {
          connection.query(`SET statement_timeout = ${Math.trunc(tuning.statementTimeoutMs)}`).then(
            () => done(null, connection),
            (error: Error) => done(error, connection),
          );
        },
      },
      migrations,
    };
  }
  return {
    // better-sqlite3, with write transactions that take the write lock when they begin (sqlite-client.ts).
    client: sqliteClient,
    log: knexLog,
    connection: { filename: database.filename },
    useNullAsDefault: true,
    // One connection: SQLite has a single writer, and one connection keeps transactions simple.
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: { pragma(sql: string): unknown }, done: (error: Error | null, connection: unknown) => void) {
        // WAL lets readers (a CLI, a second server) proceed while one process writes; the busy
        // timeout makes a concurrent writer wait instead of failing with SQLITE_BUSY.
        connection.pragma('journal_mode = WAL');
        connection.pragma('synchronous = NORMAL');
        connection.pragma('foreign_keys = ON');
        connection.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
        // Checkpoints run in a thread of their own (wal-checkpoints.ts), not inside a commit.
        connection.pragma('wal_autocheckpoint = 0');
        done(null, connection);
      },
    },
    migrations,
  };
}

/** How long a statement waits in SQLite for a lock another connection holds (the hot writes yield first: sqlite-session.ts). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

export function openDatabase(database: DatabaseConfig, tuning: DatabaseTuning = DEFAULT_DATABASE_TUNING): Knex {
  if (database.engine === 'sqlite' && database.filename !== ':memory:') {
    fs.mkdirSync(path.dirname(database.filename), { recursive: true });
    ownerOnly(database.filename);
  }
  return knexFactory(knexConfig(database, tuning));
}

/**
 * The SQLite files hold password hashes, sessions and sealed keys: mode 0600, the database created
 * so before SQLite opens it (SQLite gives its -wal and -shm files the database file's mode), and
 * any of the three left readable by others (an older version, a copied backup) narrowed.
 */
function ownerOnly(filename: string): void {
  fs.closeSync(fs.openSync(filename, 'a', 0o600));
  for (const file of [filename, `${filename}-wal`, `${filename}-shm`]) restrictMode(file, 0o600);
}

// Network failures and "not accepting connections yet/any more": worth waiting for. Anything else
// (a wrong password, a database that does not exist) will not fix itself and fails at once.
const TRANSIENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  // Node reports a refused dual-stack connect as an AggregateError of per-address errors.
  const inner = (error as { errors?: unknown[] } | undefined)?.errors?.[0];
  return inner === undefined ? undefined : errorCode(inner);
}

export function isTransientConnectError(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined) return TRANSIENT_NETWORK_CODES.has(code) || TRANSIENT_SQLSTATES.has(code);
  const message = (error as Error | undefined)?.message ?? '';
  // pg's own wording for a socket that closed or a connect attempt that timed out; knex's pool timeout.
  return /Connection terminated|timeout expired|Timeout acquiring a connection/i.test(message);
}

function reasonOf(error: unknown, database: DatabaseConfig): string {
  const message = ((error as Error | undefined)?.message ?? '').split('\n')[0]!.trim();
  const reason = message !== '' ? message : (errorCode(error) ?? String(error));
  // Belt and braces: a driver message must never carry the password of the URL.
  if (database.engine === 'postgres') {
    try {
      const password = decodeURIComponent(new URL(database.url).password);
      if (password !== '') return reason.split(password).join('***');
    } catch {
      // describeDatabase already covers an unparsable URL.
    }
  }
  return reason;
}

/**
 * Start-up: waits until PostgreSQL answers, retrying with exponential backoff (100 ms doubling to
 * 2 s) for at most `connectTimeoutSeconds`; then fails with one line that names the database
 * (without its password) and the last reason. SQLite needs no wait.
 */
export async function waitForDatabase(db: Knex, database: DatabaseConfig, tuning: DatabaseTuning = DEFAULT_DATABASE_TUNING): Promise<void> {
  if (database.engine !== 'postgres') return;
  const deadlineMs = performance.now() + tuning.connectTimeoutSeconds * 1000;
  let delayMs = 100;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await db.raw('select 1');
      return;
    } catch (error) {
      const remainingMs = deadlineMs - performance.now();
      if (!isTransientConnectError(error)) {
        throw new DatabaseUnavailableError(`cannot use the database ${describeDatabase(database)}: ${reasonOf(error, database)}`);
      }
      if (remainingMs <= 0) {
        throw new DatabaseUnavailableError(
          `the database ${describeDatabase(database)} did not answer within DATABASE_CONNECT_TIMEOUT=${tuning.connectTimeoutSeconds} s (${attempt} attempts): ${reasonOf(error, database)}`,
        );
      }
      await sleep(Math.min(delayMs, remainingMs));
      delayMs = Math.min(delayMs * 2, 2000);
    }
  }
}

/**
 * Applies pending migrations. On PostgreSQL, instances starting together would race for knex's
 * migration lock row, and the loser would fail ("Migration table is already locked"); instead they
 * queue on an advisory lock held by a one-connection pool of its own (so the lock and every
 * migration statement share a session), without the statement timeout (an index build on a big
 * table may take longer than a request should).
 */
/**
 * knex's `latest()` opens a write transaction and takes its migration lock even when nothing is
 * pending, so every CLI run would write to the database. On SQLite, look first and migrate only
 * when something is pending; a process that meets the lock (MigrationLocked: another process is
 * migrating right now) waits for it instead of failing.
 */
async function migrateSqlite(db: Knex): Promise<string[]> {
  for (let attempt = 1; ; attempt += 1) {
    const [, pending] = (await db.migrate.list()) as [unknown[], unknown[]];
    if (pending.length === 0) return [];
    try {
      const [, applied] = (await db.migrate.latest()) as [number, string[]];
      return applied;
    } catch (error) {
      if ((error as Error).name !== 'MigrationLocked' || attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export async function migrateToLatest(db: Knex, database?: DatabaseConfig, tuning: DatabaseTuning = DEFAULT_DATABASE_TUNING): Promise<string[]> {
  if (database?.engine !== 'postgres') return migrateSqlite(db);
  const config = knexConfig(database, { ...tuning, poolMax: 1, statementTimeoutMs: 0 });
  const migrator = knexFactory({ ...config, pool: { ...config.pool, min: 1, max: 1 } });
  try {
    await migrator.raw('select pg_advisory_lock(?)', [MIGRATION_LOCK_KEY]);
    try {
      const [, applied] = (await migrator.migrate.latest()) as [number, string[]];
      return applied;
    } finally {
      await migrator.raw('select pg_advisory_unlock(?)', [MIGRATION_LOCK_KEY]).catch(() => {});
    }
  } finally {
    await migrator.destroy();
  }
}
