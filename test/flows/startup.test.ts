/**
 * `npm start` as an operator meets it: the real entry point (`node dist/src/main.js`) in its own
 * process. A restart keeps keys and clients; once the database holds keys, a missing or wrong
 * key-encryption key stops start-up with one clear line and never makes new keys; the KEK file is
 * private; a bad variable is one line without a stack trace; the database alone yields no key.
 * A database from before ES256 (RS256 and EdDSA keys only) gets its first ES256 keys at start,
 * one active at once, and its other keys stay as they were.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, testEnv, runCli, type TestEnv } from '../helpers/inkan.js';
import { freePort } from '../helpers/postgres-server.js';
import { basicAuth } from '../helpers/clients.js';

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

async function spawnInkan(env: Record<string, string>, cwd: string): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, url: `http://127.0.0.1:${port}`, output, exited };
}

/** Polls /readyz until 200; fails if the process exits first. */
async function ready(started: Started): Promise<void> {
  let exitCode: number | null | undefined;
  void started.exited.then((code) => (exitCode = code));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`inkan exited with ${exitCode}: ${started.output.stderr}`);
    try {
      if ((await fetch(`${started.url}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`inkan was not ready within 20 s: ${started.output.stderr}`);
}

async function stop(started: Started): Promise<void> {
  started.child.kill('SIGTERM');
  expect(await started.exited).toBe(0);
}

/** Runs a start-up that must fail; returns its exit code and stderr. */
async function failedStart(env: Record<string, string>, cwd: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const started = await spawnInkan(env, cwd);
  const code = await Promise.race([
    started.exited,
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000)),
  ]);
  if (code === 'timeout') {
    started.child.kill('SIGKILL');
    throw new Error('inkan kept running although its start-up should have failed');
  }
  return { code, ...started.output };
}

function expectOneLine(stderr: string): string {
  expect(stderr).not.toContain('    at ');
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

/** An endpoint from discovery. Its host is the default issuer's (localhost); reach it on the address we bound. */
async function endpoint(url: string, name: 'jwks_uri' | 'token_endpoint'): Promise<URL> {
  const discovery = (await (await fetch(`${url}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  expect(discovery.issuer).toBe(`http://localhost:${new URL(url).port}`);
  return new URL(new URL(discovery[name]!).pathname, url);
}

const kidsOf = async (url: string): Promise<string[]> =>
  ((await (await fetch(await endpoint(url, 'jwks_uri'))).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid).sort();

async function token(url: string, client: { client_id: string; client_secret: string }): Promise<Response> {
  return fetch(await endpoint(url, 'token_endpoint'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client) },
    body: 'grant_type=client_credentials',
  });
}

function storedKeys(env: TestEnv): { kid: string; sealed_private_key: string }[] {
  const db = new Database(path.join(env.dir, 'inkan.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select kid, sealed_private_key from signing_keys order by kid').all() as { kid: string; sealed_private_key: string }[];
  } finally {
    db.close();
  }
}

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

describe('a database that holds keys', () => {
  const env = testEnv();
  const kekFile = path.join(env.env.KEYS_DIR!, 'kek');
  let firstKids: string[];
  let client: { client_id: string; client_secret: string };

  beforeAll(async () => {
    const first = await spawnInkan(env.env, env.dir);
    await ready(first);
    firstKids = await kidsOf(first.url);
    const created = await runCli(['clients', 'create', '--name', 'survivor'], { env: env.env, cwd: env.dir });
    expect(created.code, created.stderr).toBe(0);
    client = created.json();
    expect((await token(first.url, client)).status).toBe(200);
    await stop(first);
  });

  it('created KEYS_DIR/kek with mode 0600 on first start', () => {
    expect(fs.statSync(kekFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(fs.readFileSync(kekFile, 'utf8').trim(), 'base64')).toHaveLength(32);
  });

  it('keeps the same keys and clients across a restart', async () => {
    expect(firstKids).toHaveLength(6); // the active and the next key of each alg (RS256, EdDSA, ES256)
    const second = await spawnInkan(env.env, env.dir);
    try {
      await ready(second);
      expect(await kidsOf(second.url)).toEqual(firstKids);
      const response = await token(second.url, client);
      expect(response.status).toBe(200);
      const { access_token } = (await response.json()) as { access_token: string };
      const header = JSON.parse(Buffer.from(access_token.split('.')[0]!, 'base64url').toString()) as { kid: string };
      expect(firstKids).toContain(header.kid);
    } finally {
      await stop(second);
    }
  });

  it('refuses to start without its key-encryption key, and makes no new keys', async () => {
    const before = storedKeys(env);
    const saved = fs.readFileSync(kekFile);
    fs.rmSync(kekFile);
    try {
      const result = await failedStart(env.env, env.dir);
      expect(result.code).not.toBe(0);
      expect(expectOneLine(result.stderr)).toMatch(/key-encryption key/);
      expect(storedKeys(env)).toEqual(before);
      // Nor a fresh KEK in place of the lost one.
      expect(fs.existsSync(kekFile)).toBe(false);
    } finally {
      fs.writeFileSync(kekFile, saved, { mode: 0o600 });
    }
  });

  it('refuses to start with a wrong KEY_ENCRYPTION_KEY, naming a kid', async () => {
    const before = storedKeys(env);
    const wrongKek = crypto.randomBytes(32).toString('base64');
    const result = await failedStart({ ...env.env, KEY_ENCRYPTION_KEY: wrongKek }, env.dir);
    expect(result.code).not.toBe(0);
    const line = expectOneLine(result.stderr);
    expect(before.some(({ kid }) => line.includes(kid))).toBe(true);
    expect(line).toMatch(/key-encryption key/);
    expect(result.stderr + result.stdout).not.toContain(wrongKek);
    expect(storedKeys(env)).toEqual(before);
  });

  it('keeps no usable private key in the database alone', () => {
    const keys = storedKeys(env);
    expect(keys).toHaveLength(6);
    for (const { sealed_private_key: sealed } of keys) {
      expect(sealed).not.toMatch(/PRIVATE KEY/);
      const attempts = [sealed, ...sealed.split('.')].flatMap((part) => [
        () => crypto.createPrivateKey({ key: part, format: 'pem' }),
        () => crypto.createPrivateKey({ key: Buffer.from(part, 'base64url'), format: 'der', type: 'pkcs8' }),
        () => crypto.createPrivateKey({ key: Buffer.from(part, 'base64'), format: 'der', type: 'pkcs8' }),
      ]);
      for (const attempt of attempts) expect(attempt).toThrow();
    }
  });
});

describe('a database from before ES256', () => {
  const env = testEnv();
  const database = () => path.join(env.dir, 'inkan.sqlite');

  it('gets an active and a next ES256 key at its first start, before it is ready; the RS256 and EdDSA keys stay as they were', async () => {
    const first = await spawnInkan(env.env, env.dir);
    await ready(first);
    await stop(first);
    // What a database of the versions that signed with RS256 and EdDSA only holds.
    const db = new Database(database());
    try {
      db.prepare("delete from signing_keys where alg = 'ES256'").run();
      db.prepare('update key_state set version = version + 1').run();
    } finally {
      db.close();
    }
    const before = storedRows(database());
    expect(before.map((row) => row.alg).sort()).toEqual(['EdDSA', 'EdDSA', 'RS256', 'RS256']);

    const upgraded = await spawnInkan(env.env, env.dir);
    try {
      await ready(upgraded);
      const after = storedRows(database());
      for (const row of before) expect(after).toContainEqual(row);
      const es256 = after.filter((row) => row.alg === 'ES256');
      expect(es256.map((row) => row.status).sort()).toEqual(['active', 'next']);
      const active = es256.find((row) => row.status === 'active')!;
      // Active at once: made and activated in the same second, not after the pre-publication time.
      expect(active.activated_at).toBe(active.created_at);
      expect(await kidsOf(upgraded.url)).toEqual([...before.map((row) => row.kid), ...es256.map((row) => row.kid)].sort());

      const created = await runCli(['clients', 'create', '--name', 'es256-after-upgrade', '--alg', 'ES256'], { env: env.env, cwd: env.dir });
      expect(created.code, created.stderr).toBe(0);
      const response = await token(upgraded.url, created.json());
      expect(response.status).toBe(200);
      const { access_token: accessToken } = (await response.json()) as { access_token: string };
      expect(JSON.parse(Buffer.from(accessToken.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'ES256', kid: active.kid });
    } finally {
      await stop(upgraded);
    }
  });
});

function storedRows(file: string): { kid: string; alg: string; status: string; created_at: number; activated_at: number | null }[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select kid, alg, status, created_at, activated_at from signing_keys order by kid').all() as ReturnType<typeof storedRows>;
  } finally {
    db.close();
  }
}

describe('configuration errors', () => {
  it('stops on ACCESS_TOKEN_TTL=abc with one line naming it, no stack trace', async () => {
    const env = testEnv({ ACCESS_TOKEN_TTL: 'abc' });
    const result = await failedStart(env.env, env.dir);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('ACCESS_TOKEN_TTL must be a positive integer of seconds, got "abc"');
    expectOneLine(result.stderr);
    // It stopped before touching anything.
    expect(fs.existsSync(path.join(env.dir, 'inkan.sqlite'))).toBe(false);
    expect(fs.existsSync(env.env.KEYS_DIR!)).toBe(false);
  });
});
