/**
 * SQLite's group commit (src/storage/knex/sqlite-session.ts `transaction`): transactions asked for
 * in one turn of the event loop share one commit, each in its own savepoint. Checked on a real
 * database file: what each caller gets, what is committed, and that one batch writes a hot page to
 * the WAL once rather than once per transaction.
 */
import fs from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { sqliteFilePerTest } from './sqlite-file.js';
import { sqliteSessions, type SqliteSessions } from '../../src/storage/knex/sqlite-session.js';

const sqlite = sqliteFilePerTest('inkan-group-commit-', async (db) => {
  await db.schema.createTable('notes', (t) => {
    t.integer('id').primary();
    t.string('text', 64).notNullable();
  });
  await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
});
let sessions: SqliteSessions;

beforeEach(() => {
  sessions = sqliteSessions(sqlite.db);
});

const insert = (id: number) => (sql: Parameters<Parameters<SqliteSessions['transaction']>[0]>[0]) => sql.run('INSERT INTO notes (id, text) VALUES (?, ?)', id, `note ${id}`);
const storedIds = async () => (await sqlite.db('notes').select('id').orderBy('id')).map((row: { id: number }) => row.id);
const walBytes = () => fs.statSync(`${sqlite.filename}-wal`).size;

describe('SQLite group commit', () => {
  it('gives each of many concurrent transactions its own result, all committed', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, id) => sessions.transaction((sql) => ({ id, changed: insert(id)(sql) }))));
    expect(results).toEqual(Array.from({ length: 20 }, (_, id) => ({ id, changed: 1 })));
    expect(await storedIds()).toEqual(Array.from({ length: 20 }, (_, id) => id));
  });

  it('writes a page changed by every transaction of one turn to the WAL once', async () => {
    // Each separate commit appends the table's page again (4 KiB and a frame header) to the WAL.
    const before = walBytes();
    await Promise.all(Array.from({ length: 50 }, (_, id) => sessions.transaction(insert(id))));
    const batched = walBytes() - before;
    for (let id = 50; id < 60; id += 1) await sessions.transaction(insert(id));
    const tenApart = walBytes() - before - batched;
    expect(batched).toBeLessThan(3 * 4096);
    expect(tenApart).toBeGreaterThanOrEqual(10 * 4096);
    expect(await storedIds()).toHaveLength(60);
  });

  it('rolls back only the transaction that throws, and gives its caller its error', async () => {
    const outcomes = await Promise.allSettled([
      sessions.transaction(insert(1)),
      sessions.transaction((sql) => {
        insert(2)(sql);
        throw new Error('work 2 failed');
      }),
      sessions.transaction((sql) => insert(1)(sql)), // the primary key is taken by the first
      sessions.transaction(insert(3)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('work 2 failed'));
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toContain('UNIQUE constraint failed: notes.id');
    expect(await storedIds()).toEqual([1, 3]);
  });

  it('rolls back a lone transaction that throws', async () => {
    await expect(
      sessions.transaction((sql) => {
        insert(7)(sql);
        throw new Error('lone work failed');
      }),
    ).rejects.toThrow('lone work failed');
    expect(await storedIds()).toEqual([]);
    await sessions.transaction(insert(8));
    expect(await storedIds()).toEqual([8]);
  });

  it('fails every caller of a batch whose transaction is lost, committing none of it', async () => {
    const outcomes = await Promise.allSettled([
      sessions.transaction(insert(1)),
      sessions.transaction((sql) => {
        // What a full disk does to SQLite: the error ends the whole transaction, not the statement.
        sql.run('ROLLBACK');
        throw new Error('the transaction is gone');
      }),
      sessions.transaction(insert(3)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason).toEqual(new Error('the transaction is gone'));
    expect(await storedIds()).toEqual([]);
    await sessions.transaction(insert(4));
    expect(await storedIds()).toEqual([4]);
  });

  it('commits what is asked for while a batch commits in the next one', async () => {
    const first = sessions.transaction(insert(1));
    await new Promise((resolve) => setImmediate(resolve));
    const second = Promise.all([sessions.transaction(insert(2)), sessions.transaction(insert(3))]);
    await Promise.all([first, second]);
    expect(await storedIds()).toEqual([1, 2, 3]);
  });
});
