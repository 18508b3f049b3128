/**
 * `clients create|list|delete` as an operator runs them (the compiled CLI in its own process): one
 * JSON document on stdout and exit 0, or one line on stderr and a non-zero exit, never a stack
 * trace. The secret is shown once and stored only as its SHA-256.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, testEnv, type CliResult, type TestEnv } from '../../helpers/inkan.js';

let env: TestEnv;
const cli = (args: readonly string[]): Promise<CliResult> => runCli(args, { env: env.env, cwd: env.dir });

beforeAll(async () => {
  env = testEnv();
  // The first command migrates the fresh database; the tests below may then run side by side.
  const first = await cli(['clients', 'list']);
  expect(first.code, first.stderr).toBe(0);
  expect(first.json()).toEqual([]);
});

/** Exactly one JSON document on stdout, nothing on stderr, exit 0. */
function success<T = any>(result: CliResult): T {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Exit non-zero with one line on stderr, nothing on stdout, no stack trace. */
function failure(result: CliResult): string {
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  expect(result.stdout).toBe('');
  expect(result.stderr.endsWith('\n')).toBe(true);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(result.stderr).not.toContain('    at ');
  return lines[0]!;
}

describe('clients create', () => {
  it.each(['client_secret_basic', 'client_secret_post'])('prints client_id and client_secret for %s', async (method) => {
    const created = success(await cli(['clients', 'create', '--name', `svc ${method}`, '--auth-method', method]));
    expect(Object.keys(created).sort()).toEqual(['client_id', 'client_secret']);
    expect(created.client_id).toEqual(expect.any(String));
    // 256 random bits, base64url.
    expect(created.client_secret).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  });

  it('defaults to a secret client', async () => {
    const created = success(await cli(['clients', 'create', '--name', 'svc default']));
    expect(Object.keys(created).sort()).toEqual(['client_id', 'client_secret']);
  });

  it('prints only client_id for a public client (--auth-method none)', async () => {
    const created = success(
      await cli([
        'clients', 'create', '--name', 'spa', '--auth-method', 'none',
        '--grant-types', 'authorization_code', '--redirect-uris', 'https://app.example.com/cb,http://127.0.0.1:5173/cb',
      ]),
    );
    expect(Object.keys(created)).toEqual(['client_id']);
  });

  it('stores the secret only as its SHA-256', async () => {
    const created = success<{ client_id: string; client_secret: string }>(await cli(['clients', 'create', '--name', 'hashed']));
    const db = new Database(path.join(env.dir, 'inkan.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('select * from clients where client_id = ?').get(created.client_id) as Record<string, unknown>;
      expect(row).toBeDefined();
      expect(JSON.stringify(row)).not.toContain(created.client_secret);
      expect(row.secret_hash).toBe(crypto.createHash('sha256').update(created.client_secret).digest('hex'));
      // Nor anywhere else in the database file's tables.
      for (const { name } of db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]) {
        expect(JSON.stringify(db.prepare(`select * from "${name}"`).all())).not.toContain(created.client_secret);
      }
    } finally {
      db.close();
    }
  });

  it.each(['HS256', 'ES384', 'es256'])('refuses --alg %s with one line naming the three algs', async (alg) => {
    expect(failure(await cli(['clients', 'create', '--name', 'x', '--alg', alg]))).toBe('inkan: --alg must be one of RS256, EdDSA, ES256');
  });

  it('registers a client with --alg ES256, listed with its alg', async () => {
    const created = success<{ client_id: string; client_secret: string }>(await cli(['clients', 'create', '--name', 'es', '--alg', 'ES256']));
    expect(success<Record<string, unknown>[]>(await cli(['clients', 'list'])).find((client) => client.client_id === created.client_id)).toMatchObject({ alg: 'ES256' });
  });

  it('refuses an unknown grant type with one line', async () => {
    expect(failure(await cli(['clients', 'create', '--name', 'x', '--grant-types', 'password']))).toMatch(/grant type/);
  });

  it('refuses a missing --name with one line', async () => {
    expect(failure(await cli(['clients', 'create']))).toMatch(/--name/);
  });

  it('refuses an unknown option with one line', async () => {
    failure(await cli(['clients', 'create', '--name', 'x', '--colour', 'blue']));
  });

  it('registers https, loopback http (any of 127.0.0.1, [::1], localhost) and private-use-scheme redirect URIs', async () => {
    const uris = ['https://app.example.com/cb?tenant=a', 'http://127.0.0.1/cb', 'http://[::1]:8080/cb', 'http://localhost:5173/cb', 'com.example.app:/oauth/cb', 'com.example.app://callback'];
    const created = success<{ client_id: string }>(
      await cli(['clients', 'create', '--name', 'native', '--auth-method', 'none', '--grant-types', 'authorization_code', '--redirect-uris', uris.join(','), '--post-logout-redirect-uris', uris[0]!]),
    );
    const listed = success<{ client_id: string; redirect_uris: string[] }[]>(await cli(['clients', 'list']));
    expect(listed.find((client) => client.client_id === created.client_id)?.redirect_uris).toEqual(uris);
  });

  const OFF_LOOPBACK = 'uses plain http off loopback: use https, or http on 127.0.0.1, [::1] or localhost';
  const SCHEME = 'must be https, http on a loopback host, or a private-use scheme with a dot such as com.example.app:/callback (RFC 8252 §7.1)';
  it.each([
    ['plain http off loopback', 'http://app.example.com/cb', OFF_LOOPBACK],
    ['plain http on a name that only looks local', 'http://127.0.0.1.nip.io/cb', OFF_LOOPBACK],
    ['plain http on a private address', 'http://10.0.0.7/cb', OFF_LOOPBACK],
    ['userinfo', 'https://user:pass@app.example.com/cb', 'must not carry userinfo (user:password@)'],
    ['a user alone', 'https://admin@app.example.com/cb', 'must not carry userinfo (user:password@)'],
    ['userinfo in a private-use URI', 'com.example.app://user@callback', 'must not carry userinfo (user:password@)'],
    ['a fragment', 'https://app.example.com/cb#x', 'must not have a fragment'],
    ['an empty fragment', 'https://app.example.com/cb#', 'must not have a fragment'],
    ['javascript:', 'javascript:alert(document.cookie)', SCHEME],
    ['data: (the CLI splits on commas)', 'data:text/html;base64', SCHEME],
    ['file:', 'file:///etc/passwd', SCHEME],
    ['a private-use scheme without a dot', 'myapp:/callback', SCHEME],
    ['ftp:', 'ftp://files.example.com/cb', SCHEME],
    ['a relative URI', '/callback', 'is not an absolute URI'],
  ])('refuses a redirect URI with %s, naming it and why', async (_name, uri, why) => {
    for (const auth of ['client_secret_basic', 'none']) {
      const line = failure(await cli(['clients', 'create', '--name', 'bad', '--auth-method', auth, '--grant-types', 'authorization_code', '--redirect-uris', uri]));
      expect(line).toBe(`inkan: redirect URI ${JSON.stringify(uri)} ${why}`);
    }
    const logout = failure(await cli(['clients', 'create', '--name', 'bad', '--grant-types', 'authorization_code', '--redirect-uris', 'https://app.example.com/cb', '--post-logout-redirect-uris', uri]));
    expect(logout).toBe(`inkan: post-logout redirect URI ${JSON.stringify(uri)} ${why}`);
  });

  it('creates nothing when it refuses', async () => {
    const before = success<unknown[]>(await cli(['clients', 'list'])).length;
    failure(await cli(['clients', 'create', '--name', 'never', '--alg', 'none']));
    const after = success<{ name: string }[]>(await cli(['clients', 'list']));
    expect(after).toHaveLength(before);
    expect(after.map((client) => client.name)).not.toContain('never');
  });
});

describe('side by side', () => {
  it('runs many commands at once on one database, none refused for a lock', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? cli(['clients', 'create', '--name', `parallel-${i}`]) : cli(['clients', 'list']))),
    );
    for (const result of results) success(result);
  });
});

describe('clients list and delete', () => {
  it('lists clients without secrets or hashes', async () => {
    const created = success<{ client_id: string; client_secret: string }>(
      await cli(['clients', 'create', '--name', 'listed', '--scope', 'read write', '--resources', 'https://api.example.com', '--alg', 'EdDSA']),
    );
    const result = await cli(['clients', 'list']);
    const listed = success<Record<string, unknown>[]>(result);
    expect(Array.isArray(listed)).toBe(true);
    expect(listed.find((client) => client.client_id === created.client_id)).toMatchObject({
      client_id: created.client_id,
      name: 'listed',
      alg: 'EdDSA',
      resources: ['https://api.example.com'],
    });
    expect(result.stdout).not.toContain(created.client_secret);
    const hash = crypto.createHash('sha256').update(created.client_secret).digest('hex');
    expect(result.stdout).not.toContain(hash);
    for (const client of listed) {
      for (const key of Object.keys(client)) expect(key).not.toMatch(/secret|hash/i);
    }
  });

  it('deletes a client and says which', async () => {
    const created = success<{ client_id: string }>(await cli(['clients', 'create', '--name', 'doomed']));
    expect(success(await cli(['clients', 'delete', created.client_id]))).toEqual({ deleted: created.client_id });
    const listed = success<{ client_id: string }[]>(await cli(['clients', 'list']));
    expect(listed.map((client) => client.client_id)).not.toContain(created.client_id);
  });

  it('refuses to delete an unknown client with one line', async () => {
    expect(failure(await cli(['clients', 'delete', 'no-such-client']))).toContain('no-such-client');
  });

  it('refuses delete without a client_id with one line', async () => {
    failure(await cli(['clients', 'delete']));
  });
});
