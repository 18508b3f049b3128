/**
 * A replayed authorization code (RFC 6749 §4.1.2) revokes what its exchange issued through the
 * one revocation mechanism: a `jti` revocation record for the access token (so introspection,
 * userinfo, the push feed and the status list all see it) and the end of exactly the refresh
 * family that exchange started. Also the race where the replay lands between the exchange's
 * consuming update and the family's insert, and that the people helper's own revoked-jti table
 * is gone.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../helpers/clients.js';
import type { NewRefreshFamily } from '../../src/refresh/refresh-tokens.js';
import { hashSecret } from '../../src/tokens/secrets.js';
import { authorizeUrl, createUser, HttpBrowser, signIn } from './people-helpers.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const EMAIL = 'replay@example.com';
const PASSWORD = 'replay-password-1';
let server: TestServer;
let app: RegisteredClient;
let resourceServer: RegisteredClient;

beforeAll(async () => {
  server = await startInkan();
  await createUser(server, EMAIL, PASSWORD);
  app = await registerClient(server, [
    '--name', 'App', '--grant-types', 'authorization_code,refresh_token', '--redirect-uris', REDIRECT,
    '--scope', 'openid offline_access', '--auth-method', 'none', '--skip-consent',
  ]);
  // A resource server for the issuer's audience (the app's tokens carry no resource): entitled to introspect them.
  resourceServer = await registerClient(server, ['--name', 'RS', '--scope', 'api', '--resources', server.issuer]);
});
afterAll(async () => {
  await server.stop();
});

interface TokenAnswer {
  readonly status: number;
  readonly body: { access_token?: string; refresh_token?: string; error?: string; error_description?: string };
}

async function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<TokenAnswer> {
  const response = await fetch(`${server.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as TokenAnswer['body'] };
}

/** Signs in (or reuses the browser's session) and returns the code's exchange form. */
async function codeExchange(browser: HttpBrowser): Promise<Record<string, string>> {
  const codeVerifier = crypto.randomBytes(32).toString('base64url');
  const url = authorizeUrl(server.issuer, {
    client_id: app.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid offline_access',
    code_challenge: crypto.createHash('sha256').update(codeVerifier).digest('base64url'), code_challenge_method: 'S256',
  });
  const callback = await signIn(browser, url, EMAIL, PASSWORD);
  const code = callback.searchParams.get('code');
  if (code === null) throw new Error(`no code in ${callback.href}`);
  return { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app.client_id, code_verifier: codeVerifier };
}

const jtiOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number });
const introspect = (token: string) => post('/introspect', { token }, { authorization: basicAuth(resourceServer) });
const refresh = (refreshToken: string) => post('/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: app.client_id });

describe('a replayed authorization code', () => {
  it('revokes its access token with a jti revocation record and ends only the family its exchange started', async () => {
    const browser = new HttpBrowser(server.issuer);
    const form = await codeExchange(browser);
    const first = await post('/token', form);
    expect(first.status).toBe(200);
    // A second login of the same browser (same session, same client): a family the replay must not touch.
    const other = await post('/token', await codeExchange(browser));
    expect(other.status).toBe(200);

    const replay = await post('/token', form);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');

    const { jti, exp } = jtiOf(first.body.access_token!);
    const records = server.deps.revocations.snapshot().filter((record) => record.target.kind === 'jti' && record.target.jti === jti);
    expect(records).toHaveLength(1);
    expect(records[0]!.expiresAt).toBe(exp);
    expect((await introspect(first.body.access_token!)).body).toEqual({ active: false });
    const userinfo = await fetch(`${server.issuer}/userinfo`, { headers: { authorization: `Bearer ${first.body.access_token}` } });
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toContain('revoked');
    expect(await refresh(first.body.refresh_token!)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'the refresh token was revoked' } });

    // The other login's tokens live on.
    expect((await introspect(other.body.access_token!)).body).toMatchObject({ active: true });
    expect((await refresh(other.body.refresh_token!)).status).toBe(200);
  });

  it('adds no second record when replayed again', async () => {
    const form = await codeExchange(new HttpBrowser(server.issuer));
    const first = await post('/token', form);
    expect(first.status).toBe(200);
    expect((await post('/token', form)).body.error).toBe('invalid_grant');
    expect((await post('/token', form)).body.error).toBe('invalid_grant');
    const { jti } = jtiOf(first.body.access_token!);
    expect(server.deps.revocations.snapshot().filter((record) => record.target.kind === 'jti' && record.target.jti === jti)).toHaveLength(1);
  });

  it('ends the family even when the replay lands between the consuming update and the family insert', async () => {
    const form = await codeExchange(new HttpBrowser(server.issuer));
    const service = server.deps.refreshTokens;
    const startFamily = service.startFamily.bind(service);
    let replay: TokenAnswer | undefined;
    let startedToken: string | undefined;
    // Fault injection: the replay runs to completion after the code is consumed, before the family exists.
    service.startFamily = async (request: NewRefreshFamily) => {
      service.startFamily = startFamily;
      replay = await post('/token', form);
      startedToken = await startFamily(request);
      return startedToken;
    };
    try {
      const first = await post('/token', form);
      expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(first.status).toBe(400);
      expect(first.body.error).toBe('invalid_grant');
      expect(first.body.refresh_token).toBeUndefined();
    } finally {
      service.startFamily = startFamily;
    }
    // The family was created after the replay ended nothing, and the exchange ended it itself.
    const started = await server.deps.stores.refreshTokens.find(hashSecret(startedToken!));
    expect(started?.family.revokedAt).toEqual(expect.any(Number));
  });
});

describe('the people helper\'s revoked-jti table', () => {
  it('is gone: a migration turned it into revocation records', () => {
    const db = new Database(path.join(server.dir, 'inkan.sqlite'), { readonly: true });
    try {
      expect(db.prepare("select name from sqlite_master where type = 'table' and name = 'revoked_access_tokens'").get()).toBeUndefined();
      const columns = (db.prepare("select name from pragma_table_info('authorization_codes')").all() as { name: string }[]).map((c) => c.name);
      expect(columns).toEqual(expect.arrayContaining(['refresh_family_id', 'replayed_at']));
    } finally {
      db.close();
    }
  });
});
