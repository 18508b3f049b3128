/**
 * The WAL checkpoints' thread (src/storage/knex/wal-checkpoints.ts) on a real database file: it
 * copies what the server's connection appended to the WAL into the database file while that
 * connection keeps writing, reports a database it cannot open, starts again when its thread ends
 * unasked, and stops when asked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sqliteFilePerTest } from './sqlite-file.js';
import { openDatabase } from '../../src/storage/knex/connection.js';
import { startWalCheckpoints } from '../../src/storage/knex/wal-checkpoints.js';

const sqlite = sqliteFilePerTest('inkan-wal-checkpoints-', async (db) => {
  await db.schema.createTable('notes', (t) => {
    t.integer('id').primary();
    t.text('text').notNullable();
  });
  await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
});

const until = async (condition: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('WAL checkpoints in a thread', () => {
  it('copies the WAL into the database file while the server keeps writing', async () => {
    const errors: Error[] = [];
    const databaseBytes = () => fs.statSync(sqlite.filename).size;
    const before = databaseBytes();
    // Without checkpoints (wal_autocheckpoint = 0), these stay in the WAL.
    for (let batch = 0; batch < 20; batch += 1) {
      await sqlite.db('notes').insert(Array.from({ length: 50 }, (_, i) => ({ id: batch * 50 + i, text: 'x'.repeat(200) })));
    }
    expect(databaseBytes()).toBe(before);
    const checkpoints = startWalCheckpoints(sqlite.filename, (error) => errors.push(error), { intervalMs: 20 });
    try {
      await until(() => databaseBytes() > before + 200_000);
      await sqlite.db('notes').insert({ id: 5000, text: 'written while the thread runs' });
      expect((await sqlite.db('notes').count({ n: '*' }))[0]).toEqual({ n: 1001 });
    } finally {
      await checkpoints.stop();
    }
    expect(errors).toEqual([]);
  });

  it('reports a database it cannot open once, and checkpoints it once it can', async () => {
    const errors: Error[] = [];
    const later = path.join(sqlite.dir, 'later.sqlite');
    const checkpoints = startWalCheckpoints(later, (error) => errors.push(error), { intervalMs: 20 });
    try {
      await until(() => errors.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(errors.map((error) => error.message)).toEqual(['WAL checkpoint failed: unable to open database file']);
      const other = openDatabase({ engine: 'sqlite', filename: later });
      try {
        await other.schema.createTable('notes', (t) => {
          t.integer('id').primary();
          t.text('text').notNullable();
        });
        const before = fs.statSync(later).size;
        await other('notes').insert(Array.from({ length: 50 }, (_, id) => ({ id, text: 'x'.repeat(4000) })));
        await until(() => fs.statSync(later).size > before + 100_000);
      } finally {
        await other.destroy();
      }
    } finally {
      await checkpoints.stop();
    }
    expect(errors).toHaveLength(1);
  });

  it('starts another thread when the running one ends unasked, which checkpoints again', async () => {
    const errors: Error[] = [];
    const checkpoints = startWalCheckpoints(sqlite.filename, (error) => errors.push(error), { intervalMs: 20, restartDelayMs: 50 });
    try {
      const first = checkpoints.thread!;
      // As a thread that reached its heap limit would end.
      const code = await first.terminate();
      expect(errors.map((error) => error.message)).toEqual([`the WAL checkpoint thread ended (exit code ${code}); starting another in 50 ms`]);
      await until(() => checkpoints.thread !== undefined);
      expect(checkpoints.thread).not.toBe(first);
      const before = fs.statSync(sqlite.filename).size;
      await sqlite.db('notes').insert(Array.from({ length: 50 }, (_, id) => ({ id, text: 'x'.repeat(4000) })));
      await until(() => fs.statSync(sqlite.filename).size > before + 100_000);
    } finally {
      await checkpoints.stop();
    }
    expect(errors).toHaveLength(1);
  });

  it('stops: after stop() nothing is copied any more', async () => {
    const checkpoints = startWalCheckpoints(sqlite.filename, () => undefined, { intervalMs: 20 });
    await checkpoints.stop();
    const before = fs.statSync(sqlite.filename).size;
    await sqlite.db('notes').insert(Array.from({ length: 50 }, (_, id) => ({ id, text: 'x'.repeat(4000) })));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fs.statSync(sqlite.filename).size).toBe(before);
    expect(fs.statSync(`${sqlite.filename}-wal`).size).toBeGreaterThan(200_000);
  });
});
