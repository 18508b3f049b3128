/**
 * A replayed authorization code (RFC 6749 §4.1.2) ends the grant its exchange started, through
 * the one revocation path: a `grant` record covering every access token carrying the grant's
 * `grant_id` — the exchange's and every one refreshed since — so introspection, userinfo, the
 * feed, the status list and the SDK all reject them, and the end of exactly the refresh family
 * the exchange started; a later sign-in of the same browser at the same client is untouched. Also
 * the race where the replay lands between the exchange's consuming update and the family's
 * insert, and the code table's columns after migration 0013.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { createVerifier, VerifierError } from '@inkan/verifier';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import type { NewRefreshFamily } from '../../../src/refresh/refresh-tokens.js';
import { hashSecret } from '../../../src/tokens/secrets.js';
import { authorizeUrl, createUser, HttpBrowser, signIn } from '../../helpers/people.js';

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
  // A resource server for tokens whose audience is Inkan itself: it may introspect them.
  resourceServer = await registerClient(server, ['--name', 'RS', '--scope', 'api revocations:read', '--resources', server.issuer]);
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

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number; grant_id: string; sid: string };
const introspect = (token: string) => post('/introspect', { token }, { authorization: basicAuth(resourceServer) });
const refresh = (refreshToken: string) => post('/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: app.client_id });
const userinfoStatus = async (token: string) => (await fetch(`${server.issuer}/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status;

/** What Inkan's SDK says of a token: fresh verifiers, one reading the status list, one the feed. */
async function sdkVerdicts(token: string): Promise<string[]> {
  const verdicts: string[] = [];
  for (const options of [{}, { clientId: resourceServer.client_id, clientSecret: resourceServer.client_secret! }]) {
    const verifier = createVerifier({ issuer: server.issuer, audience: server.issuer, logger: { warn: () => {} }, ...options });
    try {
      await verifier.verify(token);
      verdicts.push('valid');
    } catch (error) {
      verdicts.push(error instanceof VerifierError ? error.code : String(error));
    } finally {
      await verifier.close();
    }
  }
  return verdicts;
}

describe('a replayed authorization code', () => {
  it('revokes every access token of its grant, refreshed ones included, and ends only the family its exchange started', async () => {
    const browser = new HttpBrowser(server.issuer);
    const form = await codeExchange(browser);
    const first = await post('/token', form);
    expect(first.status).toBe(200);
    // Code → tokens → refresh: a second access token of the same grant.
    const refreshed = await refresh(first.body.refresh_token!);
    expect(refreshed.status).toBe(200);
    const grantId = claimsOf(first.body.access_token!).grant_id;
    expect(claimsOf(refreshed.body.access_token!).grant_id).toBe(grantId);
    // A second sign-in of the same browser (same session, same client): a grant the replay must not touch.
    const other = await post('/token', await codeExchange(browser));
    expect(other.status).toBe(200);
    expect(claimsOf(other.body.access_token!).sid).toBe(claimsOf(first.body.access_token!).sid);
    expect(claimsOf(other.body.access_token!).grant_id).not.toBe(grantId);
    expect(await sdkVerdicts(refreshed.body.access_token!)).toEqual(['valid', 'valid']);

    const replay = await post('/token', form);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');

    const records = server.deps.revocations.snapshot().filter((record) => record.target.kind === 'grant' && record.target.grantId === grantId);
    expect(records).toHaveLength(1);
    for (const token of [first.body.access_token!, refreshed.body.access_token!]) {
      expect((await introspect(token)).body).toEqual({ active: false });
      expect(await userinfoStatus(token)).toBe(401);
      expect(await sdkVerdicts(token)).toEqual(['ERR_TOKEN_REVOKED', 'ERR_TOKEN_REVOKED']);
    }
    expect(await refresh(refreshed.body.refresh_token!)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'the refresh token was revoked' } });

    // The other sign-in's tokens live on.
    expect((await introspect(other.body.access_token!)).body).toMatchObject({ active: true });
    expect(await userinfoStatus(other.body.access_token!)).toBe(200);
    expect(await sdkVerdicts(other.body.access_token!)).toEqual(['valid', 'valid']);
    expect((await refresh(other.body.refresh_token!)).status).toBe(200);
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

describe('the authorization code table', () => {
  it('records the grant a code started, and no list of access token ids (migration 0013)', () => {
    const db = new Database(path.join(server.dir, 'inkan.sqlite'), { readonly: true });
    try {
      expect(db.prepare("select name from sqlite_master where type = 'table' and name = 'revoked_access_tokens'").get()).toBeUndefined();
      const columns = (db.prepare("select name from pragma_table_info('authorization_codes')").all() as { name: string }[]).map((c) => c.name);
      expect(columns).toEqual(expect.arrayContaining(['grant_id', 'replayed_at']));
      expect(columns).not.toContain('refresh_family_id');
      expect(columns).not.toContain('issued_access_tokens');
    } finally {
      db.close();
    }
  });
});
