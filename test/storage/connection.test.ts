/**
 * The database settings of a scaled-out deployment: DATABASE_POOL_MAX, DATABASE_STATEMENT_TIMEOUT
 * and DATABASE_CONNECT_TIMEOUT (defaults, and each bad value as one line naming the variable); the
 * statement timeout and pool size really applied on PostgreSQL; start-up that waits a bounded time
 * for an absent database and then fails with one line that never shows the password; a wrong
 * password that fails at once. (The change notifier and the key-change lock, on both engines, are
 * in the storage contract: test/storage/changes-contract.ts and keys-contract.ts.)
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { describeDatabase, isTransientConnectError, openDatabase, waitForDatabase } from '../../src/storage/knex/connection.js';
import { createDatabase, freePort } from '../helpers/postgres-server.js';
import { ROOT } from '../helpers/inkan.js';

const serverUrl = inject('postgresUrl');
const pgUnavailable = serverUrl === '' && process.env.CI !== 'true';
if (pgUnavailable) console.warn('\n!! PostgreSQL is not available: the PostgreSQL parts of test/storage/connection.test.ts are SKIPPED (they always run in CI)\n');

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env, '/srv/inkan');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('no ConfigError');
}

describe('database settings', () => {
  it('have documented defaults and read every variable', () => {
    expect(loadConfig({}, '/srv/inkan').databaseTuning).toEqual({ poolMax: 10, statementTimeoutMs: 5000, connectTimeoutSeconds: 30 });
    expect(
      loadConfig({ DATABASE_POOL_MAX: '25', DATABASE_STATEMENT_TIMEOUT: '0', DATABASE_CONNECT_TIMEOUT: '5' }, '/srv/inkan').databaseTuning,
    ).toEqual({ poolMax: 25, statementTimeoutMs: 0, connectTimeoutSeconds: 5 });
  });

  it.each([
    ['DATABASE_POOL_MAX', '0'],
    ['DATABASE_POOL_MAX', 'ten'],
    ['DATABASE_POOL_MAX', '1001'],
    ['DATABASE_STATEMENT_TIMEOUT', '-1'],
    ['DATABASE_STATEMENT_TIMEOUT', '1.5'],
    ['DATABASE_CONNECT_TIMEOUT', '3601'],
    ['DATABASE_CONNECT_TIMEOUT', '30s'],
  ])('refuses %s=%s with one line naming it', (name, value) => {
    const message = configError({ [name]: value });
    expect(message).toContain(name);
    expect(message).toContain(JSON.stringify(value));
  });

  it('never shows the password of a PostgreSQL URL', () => {
    expect(describeDatabase({ engine: 'postgres', url: 'postgres://inkan:s3cret-pw@db.example.com:5432/inkan' })).toBe(
      'postgres://inkan@db.example.com:5432/inkan',
    );
  });

  it('tells a database that is not there yet (worth waiting for) from one that refuses us (not)', () => {
    expect(isTransientConnectError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientConnectError(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isTransientConnectError(Object.assign(new Error('password authentication failed for user "x"'), { code: '28P01' }))).toBe(false);
    expect(isTransientConnectError(Object.assign(new Error('database "x" does not exist'), { code: '3D000' }))).toBe(false);
  });
});

/** Runs `npm start`'s entry point (dist/src/main.js) until it exits. */
function runMain(env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; stderr: string; stdout: string; elapsedMs: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-scale-'));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', KEYS_DIR: path.join(dir, 'keys'), LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, elapsedMs: performance.now() - started });
    });
  });
}

describe('start-up against a database that is not there', () => {
  it('retries for DATABASE_CONNECT_TIMEOUT, then exits non-zero with one line and no password', async () => {
    const port = await freePort();
    const result = await runMain({ DATABASE_URL: `postgres://inkan:very-secret-pw@127.0.0.1:${port}/inkan`, DATABASE_CONNECT_TIMEOUT: '2', PORT: '0' }, 20_000);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`postgres://inkan@127.0.0.1:${port}/inkan`);
    expect(lines[0]).toContain('DATABASE_CONNECT_TIMEOUT=2 s');
    expect(lines[0]).toMatch(/ECONNREFUSED/);
    expect(result.stderr + result.stdout).not.toContain('very-secret-pw');
    // It waited (about 2 s), but not unboundedly.
    expect(result.elapsedMs).toBeGreaterThan(1500);
    expect(result.elapsedMs).toBeLessThan(15_000);
  });

  it('waits in-process with backoff and gives up with DatabaseUnavailableError', async () => {
    const port = await freePort();
    const database = { engine: 'postgres' as const, url: `postgres://inkan:pw@127.0.0.1:${port}/inkan` };
    const db = openDatabase(database);
    try {
      const started = performance.now();
      await expect(waitForDatabase(db, database, { poolMax: 2, statementTimeoutMs: 1000, connectTimeoutSeconds: 1 })).rejects.toMatchObject({
        name: 'DatabaseUnavailableError',
      });
      expect(performance.now() - started).toBeGreaterThan(900);
    } finally {
      await db.destroy();
    }
  });
});

describe.skipIf(pgUnavailable)('PostgreSQL tuning', () => {
  it('fails at once, without waiting, on a wrong password, and does not print it', async () => {
    const url = new URL(serverUrl);
    url.password = 'wrong-password-xyz';
    const result = await runMain({ DATABASE_URL: `${url.toString()}/postgres`, DATABASE_CONNECT_TIMEOUT: '30', PORT: '0' }, 20_000);
    expect(result.code).not.toBe(0);
    expect(result.elapsedMs).toBeLessThan(10_000);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/password authentication failed/);
    expect(result.stderr + result.stdout).not.toContain('wrong-password-xyz');
  });

  it('applies DATABASE_STATEMENT_TIMEOUT to every pooled connection and DATABASE_POOL_MAX to the pool', async () => {
    const url = await createDatabase(serverUrl, `tuning_${crypto.randomBytes(6).toString('hex')}`);
    const db = openDatabase({ engine: 'postgres', url }, { poolMax: 3, statementTimeoutMs: 200, connectTimeoutSeconds: 5 });
    try {
      const shown = await db.raw<{ rows: { statement_timeout: string }[] }>('show statement_timeout');
      expect(shown.rows[0]!.statement_timeout).toBe('200ms');
      await expect(db.raw('select pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
      expect((db.client as { pool: { max: number } }).pool.max).toBe(3);
    } finally {
      await db.destroy();
    }
  });
});
