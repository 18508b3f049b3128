/**
 * Which database Inkan opens and how it uses PostgreSQL: the types `storage/knex` needs to open a
 * connection. They live here, at the floor, so that storage never reads the configuration;
 * config.ts parses DATABASE_URL and the DATABASE_* settings into them and the caller passes them in.
 */

export type DatabaseConfig =
  | { readonly engine: 'sqlite'; readonly filename: string }
  | { readonly engine: 'postgres'; readonly url: string };

/** How Inkan uses PostgreSQL (SQLite ignores these: it has one connection and no server to wait for). */
export interface DatabaseTuning {
  /** DATABASE_POOL_MAX (default 10): most connections one process opens (plus one for LISTEN). */
  readonly poolMax: number;
  /** DATABASE_STATEMENT_TIMEOUT (default 5000 ms, 0 = none): PostgreSQL cancels a statement running longer. */
  readonly statementTimeoutMs: number;
  /** DATABASE_CONNECT_TIMEOUT (default 30 s): how long start-up waits, retrying, for the database to answer. */
  readonly connectTimeoutSeconds: number;
}

export const DEFAULT_DATABASE_TUNING: DatabaseTuning = Object.freeze({ poolMax: 10, statementTimeoutMs: 5000, connectTimeoutSeconds: 30 });
