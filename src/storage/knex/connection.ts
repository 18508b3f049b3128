/**
 * Opens the database named by the configuration: better-sqlite3 by default, PostgreSQL through
 * `pg` when DATABASE_URL says so. The only place that knows how each engine is tuned.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { DatabaseConfig } from '../../config.js';
import { migrationSource } from './migrations.js';

// PostgreSQL returns int8 as a string to protect values above 2^53; Inkan's int8 columns hold Unix
// seconds and counters, far below that, so read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export function knexConfig(database: DatabaseConfig): Knex.Config {
  const migrations = { migrationSource, tableName: 'knex_migrations' };
  if (database.engine === 'postgres') {
    return { client: 'pg', connection: database.url, pool: { min: 0, max: 10 }, migrations };
  }
  return {
    client: 'better-sqlite3',
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
        connection.pragma('busy_timeout = 5000');
        done(null, connection);
      },
    },
    migrations,
  };
}

export function openDatabase(database: DatabaseConfig): Knex {
  if (database.engine === 'sqlite' && database.filename !== ':memory:') {
    fs.mkdirSync(path.dirname(database.filename), { recursive: true });
  }
  return knexFactory(knexConfig(database));
}

export async function migrateToLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}
