/**
 * knex's better-sqlite3 client with one change: a transaction that may write begins with
 * `BEGIN IMMEDIATE`, taking SQLite's write lock up front, instead of knex's deferred `BEGIN`.
 *
 * Why: a deferred transaction that reads and then writes has to upgrade its read snapshot to a
 * write lock, and SQLite never waits for that upgrade (the busy timeout is not consulted): when
 * another process (a second server, a worker of WORKERS > 1, the CLI) holds the lock or has
 * committed since the read, the write fails at once with "database is locked". `BEGIN IMMEDIATE`
 * waits for the lock under the busy timeout and cannot then lose it. Transactions opened with
 * `{ readOnly: true }` keep the deferred `BEGIN`: they never write, and need not queue behind writers.
 */
import { createRequire } from 'node:module';
import type { Knex } from 'knex';

interface TransactionInternals {
  readonly readOnly?: boolean;
  query(connection: unknown, sql: string): Promise<unknown>;
}
type TransactionClass = new (...args: unknown[]) => TransactionInternals;
type ClientClass = new (config: Knex.Config) => { transaction(...args: unknown[]): unknown };

// knex exports its dialects only by path; these two are the ones its `better-sqlite3` client uses.
const require = createRequire(import.meta.url);
const BetterSqlite3Client = require('knex/lib/dialects/better-sqlite3/index.js') as ClientClass;
const SqliteTransaction = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as TransactionClass;

class ImmediateTransaction extends SqliteTransaction {
  begin(connection: unknown): Promise<unknown> {
    return this.query(connection, this.readOnly === true ? 'BEGIN;' : 'BEGIN IMMEDIATE;');
  }
}

class ImmediateSqliteClient extends BetterSqlite3Client {
  override transaction(...args: unknown[]): unknown {
    return new ImmediateTransaction(this, ...args);
  }
}

/** For `Knex.Config.client`: better-sqlite3 with write transactions that begin `IMMEDIATE`. */
export const sqliteClient = ImmediateSqliteClient as unknown as typeof Knex.Client;
