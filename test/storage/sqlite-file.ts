/**
 * A fresh SQLite database file for each test of the calling test file, opened as the server opens
 * it (`openDatabase`: WAL, the busy timeout, no automatic checkpoints), for the tests of SQLite's
 * own mechanics (group commit, write transactions, the checkpoint thread). Closed and removed
 * after each test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { afterEach, beforeEach } from 'vitest';
import { openDatabase } from '../../src/storage/knex/connection.js';

export interface SqliteFile {
  /** The folder that holds the file (and its -wal and -shm), for a second file beside it. */
  readonly dir: string;
  readonly filename: string;
  readonly db: Knex;
}

/** Registers the hooks; the returned object holds the current test's file once `beforeEach` ran. */
export function sqliteFilePerTest(prefix: string, prepare: (db: Knex) => Promise<void>): SqliteFile {
  let current: SqliteFile | undefined;
  beforeEach(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const filename = path.join(dir, 'inkan.sqlite');
    current = { dir, filename, db: openDatabase({ engine: 'sqlite', filename }) };
    await prepare(current.db);
  });
  afterEach(async () => {
    await current?.db.destroy();
    if (current !== undefined) fs.rmSync(current.dir, { recursive: true, force: true });
    current = undefined;
  });
  const now = (): SqliteFile => {
    if (current === undefined) throw new Error('sqliteFilePerTest: used outside a test');
    return current;
  };
  return {
    get dir() {
      return now().dir;
    },
    get filename() {
      return now().filename;
    },
    get db() {
      return now().db;
    },
  };
}
