/**
 * Userinfo (RFC 6750 errors, claims by scope, typ at+jwt, disabled users) and RP-initiated logout
 * (id_token_hint, registered post_logout_redirect_uri only, confirmation without a hint).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { authorizeUrl, createUser, csrfOf, HttpBrowser, signIn } from '../../helpers/people.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const AFTER_LOGOUT = 'http://127.0.0.1:9/signed-out';
let server: TestServer;
let client: RegisteredClient;

beforeAll(async () => {
  server = await startInkan();
  client = await registerClient(server, [
    '--name', 'App', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--post-logout-redirect-uris', AFTER_LOGOUT,
    '--scope', 'openid profile email', '--auth-method', 'none', '--skip-consent',
  ]);
});
afterAll(async () => {
  await server.stop();
});

async function login(email: string, password: string, scope = 'openid profile email') {
  const browser = new HttpBrowser(server.issuer);
  const verifier = crypto.randomBytes(32).toString('base64url');
  const url = authorizeUrl(server.issuer, {
    client_id: client.client_id, redirect_uri: REDIRECT, response_type: 'code', scope, state: 's',
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  const callback = await signIn(browser, url, email, password);
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, client_id: client.client_id, code_verifier: verifier }),
  });
  const tokens = (await response.json()) as { access_token: string; id_token?: string };
  return { browser, tokens, url };
}

const userinfo = (init: RequestInit = {}) => fetch(`${server.issuer}/userinfo`, init);

describe('userinfo', () => {
  it('returns sub and the claims of the token\'s scope, by GET and POST', async () => {
    const user = await createUser(server, 'info@example.com', 'info-password-1', 'Info Person');
    const { tokens } = await login('info@example.com', 'info-password-1', 'openid email');
    const get = await userinfo({ headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(get.status).toBe(200);
    expect(get.headers.get('cache-control')).toBe('no-store');
    expect(await get.json()).toEqual({ sub: user.id, email: 'info@example.com', email_verified: false });
    const post = await userinfo({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${tokens.access_token}` });
    expect(post.status).toBe(200);
  });

  it('answers RFC 6750 challenges: no token, a bad token, an ID token, a token without openid', async () => {
    await createUser(server, 'errors@example.com', 'errors-password-1');
    const none = await userinfo();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="inkan"');

    const garbage = await userinfo({ headers: { authorization: 'Bearer not.a.jwt' } });
    expect(garbage.status).toBe(401);
    expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const { tokens } = await login('errors@example.com', 'errors-password-1');
    const idToken = await userinfo({ headers: { authorization: `Bearer ${tokens.id_token}` } });
    expect(idToken.status).toBe(401);
    expect(((await idToken.json()) as { error: string }).error).toBe('invalid_token');

    const malformed = await userinfo({ headers: { authorization: `Basic abc` } });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('www-authenticate')).toContain('error="invalid_request"');

    const service = await registerClient(server, ['--name', 'svc', '--scope', 'read']);
    const cc = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    const ccToken = ((await cc.json()) as { access_token: string }).access_token;
    const noOpenid = await userinfo({ headers: { authorization: `Bearer ${ccToken}` } });
    expect(noOpenid.status).toBe(403);
    expect(noOpenid.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('refuses the token of a disabled user', async () => {
    await createUser(server, 'gone@example.com', 'gone-password-1');
    const { tokens } = await login('gone@example.com', 'gone-password-1');
    expect((await userinfo({ headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    expect((await server.cli(['users', 'disable', '--email', 'gone@example.com'])).code).toBe(0);
    const after = await userinfo({ headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(after.status).toBe(401);
  });
});

describe('RP-initiated logout', () => {
  it('ends the session with id_token_hint and redirects to the registered post_logout_redirect_uri with state', async () => {
    await createUser(server, 'bye@example.com', 'bye-password-1');
    const { browser, tokens, url } = await login('bye@example.com', 'bye-password-1');
    const logout = new URL('/end-session', server.issuer);
    logout.search = new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: AFTER_LOGOUT, state: 'after' }).toString();
    const hop = await browser.request(logout.href);
    expect(hop.status).toBe(302);
    expect(hop.location).toBe(`${AFTER_LOGOUT}?state=after`);
    expect(browser.cookies.has('inkan_session')).toBe(false);
    const silent = await browser.request(`${url}&prompt=none`);
    expect(new URL(silent.location!).searchParams.get('error')).toBe('login_required');
  });

  it('refuses a post_logout_redirect_uri that is not registered for the client, without redirecting', async () => {
    await createUser(server, 'stay@example.com', 'stay-password-1');
    const { browser, tokens } = await login('stay@example.com', 'stay-password-1');
    const logout = new URL('/end-session', server.issuer);
    logout.search = new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/' }).toString();
    const hop = await browser.request(logout.href);
    expect(hop.status).toBe(400);
    expect(hop.location).toBeNull();
    const noClient = await browser.request(`/end-session?post_logout_redirect_uri=${encodeURIComponent(AFTER_LOGOUT)}`);
    expect(noClient.status).toBe(400);
  });

  it('asks for confirmation without id_token_hint, and signs out on the confirmed POST', async () => {
    await createUser(server, 'confirm@example.com', 'confirm-password-1');
    const { browser, url } = await login('confirm@example.com', 'confirm-password-1');
    const page = await browser.request(`/end-session?client_id=${client.client_id}&post_logout_redirect_uri=${encodeURIComponent(AFTER_LOGOUT)}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('>Sign out</button>');
    const forged = await browser.request('/end-session', { form: { csrf: 'forged', confirm: 'yes', client_id: client.client_id } });
    expect(forged.status).toBe(200); // asked again, nothing ended
    const confirmed = await browser.request('/end-session', {
      form: { csrf: csrfOf(page.body), confirm: 'yes', client_id: client.client_id, post_logout_redirect_uri: AFTER_LOGOUT },
    });
    expect(confirmed.status).toBe(303);
    expect(confirmed.location).toBe(AFTER_LOGOUT);
    const silent = await browser.request(`${url}&prompt=none`);
    expect(new URL(silent.location!).searchParams.get('error')).toBe('login_required');
  });
});

describe('CORS for single-page apps', () => {
  it('answers preflights for userinfo and token, and sends no CORS headers on the cookie pages', async () => {
    for (const path of ['/userinfo', '/token']) {
      const preflight = await fetch(`${server.issuer}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://spa.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, dpop' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const unauthenticated = await userinfo({ headers: { origin: 'https://spa.example' } });
    expect(unauthenticated.headers.get('access-control-allow-origin')).toBe('*');
    const authorize = await fetch(`${server.issuer}/authorize?client_id=${client.client_id}`, { headers: { origin: 'https://spa.example' }, redirect: 'manual' });
    expect(authorize.headers.get('access-control-allow-origin')).toBeNull();
  });
});
