/**
 * knex transactions on SQLite take the write lock when they begin (src/storage/knex/sqlite-client.ts).
 * knex's own deferred `BEGIN` lets a transaction read first and upgrade to a writer later, and
 * SQLite fails that upgrade at once ("database is locked", no busy wait) whenever another process
 * wrote meanwhile: CI saw `tokens revoke --email` fail so beside two servers. Checked against a
 * second connection on another thread, as another process would hold it.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteFilePerTest } from './sqlite-file.js';

const sqlite = sqliteFilePerTest('inkan-write-transactions-', async (db) => {
  await db.schema.createTable('counters', (t) => {
    t.integer('id').primary();
    t.integer('value').notNullable();
  });
  await db('counters').insert([
    { id: 1, value: 0 },
    { id: 2, value: 0 },
  ]);
});

/** Whether another connection could take the write lock right now, without waiting. */
function anotherWriterCould(): boolean {
  const other = new Database(sqlite.filename, { timeout: 0 });
  try {
    other.exec('BEGIN IMMEDIATE');
    other.exec('ROLLBACK');
    return true;
  } catch (error) {
    expect((error as { code?: string }).code).toBe('SQLITE_BUSY');
    return false;
  } finally {
    other.close();
  }
}

// Another process's writer: short transactions on row 2, back to back, until told to stop.
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { timeout: 5000 });
const bump = db.prepare('UPDATE counters SET value = value + 1 WHERE id = 2');
let stop = false;
parentPort.on('message', () => { stop = true; });
let writes = 0;
function burst() {
  if (stop) { db.close(); parentPort.postMessage(writes); return; }
  for (let i = 0; i < 20; i += 1) { bump.run(); writes += 1; }
  setImmediate(burst);
}
burst();
`;

describe('knex transactions on SQLite', () => {
  it('hold the write lock from BEGIN, before their first write', async () => {
    const seen = await sqlite.db.transaction(async (trx) => {
      await trx('counters').where({ id: 1 }).first();
      return anotherWriterCould();
    });
    expect(seen).toBe(false);
    expect(anotherWriterCould()).toBe(true);
  });

  it('leave the lock alone when opened read-only', async () => {
    const seen = await sqlite.db.transaction(async (trx) => {
      await trx('counters').where({ id: 1 }).first();
      return anotherWriterCould();
    }, { readOnly: true });
    expect(seen).toBe(true);
  });

  it('read then write without failing while another process keeps writing', { timeout: 30_000 }, async () => {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const writer = new Worker(WRITER_SOURCE, { eval: true, workerData: { driver, filename: sqlite.filename } });
    const writes = new Promise<number>((resolve) => writer.once('message', resolve));
    try {
      // Read, let the other writer commit, then write: the pattern knex's deferred BEGIN fails.
      for (let round = 0; round < 200; round += 1) {
        await sqlite.db.transaction(async (trx) => {
          const row = await trx('counters').where({ id: 1 }).first<{ value: number }>();
          await new Promise((resolve) => setImmediate(resolve));
          await trx('counters').where({ id: 1 }).update({ value: row!.value + 1 });
        });
      }
    } finally {
      writer.postMessage('stop');
    }
    expect(await writes).toBeGreaterThan(0);
    expect(await sqlite.db('counters').where({ id: 1 }).first()).toEqual({ id: 1, value: 200 });
  });
});
