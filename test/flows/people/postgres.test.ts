/**
 * The people flow on PostgreSQL: sign-in, consent, code exchange and replay, throttle counters
 * and users CLI against the embedded server of the global setup (SQLite runs in the other files).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startInkan, testEnv, type TestServer } from '../../helpers/inkan.js';
import { createDatabase } from '../../helpers/postgres-server.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { authorizeUrl, createUser, csrfOf, HttpBrowser, signIn } from '../../helpers/people.js';

const serverUrl = inject('postgresUrl');
const unavailable = serverUrl === '' && process.env.CI !== 'true';
if (unavailable) console.warn('\n!! PostgreSQL is not available: test/flows/people/postgres.test.ts is SKIPPED (it always runs in CI)\n');

describe.skipIf(unavailable)('people on PostgreSQL', () => {
  const REDIRECT = 'http://127.0.0.1:9/cb';
  let server: TestServer;
  let client: RegisteredClient;

  beforeAll(async () => {
    if (serverUrl === '') throw new Error('PostgreSQL did not start (global setup), and CI requires it');
    const url = await createDatabase(serverUrl, `people_${crypto.randomBytes(6).toString('hex')}`);
    server = await startInkan({ testEnv: testEnv({ DATABASE_URL: url }) });
    client = await registerClient(server, ['--name', 'PG App', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid email', '--auth-method', 'none']);
    await createUser(server, 'pg@example.com', 'pg-password-1');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('signs in with consent, exchanges a code once, and refuses its replay', async () => {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const url = authorizeUrl(server.issuer, {
      client_id: client.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    });
    const callback = await signIn(new HttpBrowser(server.issuer), url, 'PG@example.com', 'pg-password-1');
    const form = new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, client_id: client.client_id, code_verifier: verifier });
    const exchange = () => fetch(`${server.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    const first = await exchange();
    expect(first.status).toBe(200);
    const { access_token } = (await first.json()) as { access_token: string };
    expect((await exchange()).status).toBe(400);
    expect((await fetch(`${server.issuer}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } })).status).toBe(401);
  });

  it('counts failed logins in the database', async () => {
    const browser = new HttpBrowser(server.issuer);
    const start = await browser.request(authorizeUrl(server.issuer, {
      client_id: client.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    }));
    const page = await browser.request(start.location!);
    const posted = await browser.request(start.location!, { form: { csrf: csrfOf(page.body), email: 'pg@example.com', password: 'wrong' } });
    expect(posted.status).toBe(401);
    const admitted = await server.deps.stores.loginThrottle.admit('account:pg@example.com', server.deps.clock.nowSeconds(), { blockSeconds: () => 0, forgetAfterSeconds: 3600 });
    expect(admitted.record.failures).toBe(2);
  });
});
