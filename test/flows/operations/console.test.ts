/**
 * The operator console under /admin over HTTP (the Chromium test, console-browser.test.ts, drives
 * it as an operator would): absent unless ADMIN_API=on; the sign-in through Inkan (code + PKCE
 * with the `admin` scope, the console's own client) opens a session only for a person named in
 * ADMIN_OPERATORS; the session cookie's attributes; every state-changing request refused without
 * the page's CSRF token, from another origin, or without a session; no inline script on any page;
 * logout ends the session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { createUser, csrfOf, HttpBrowser, signIn, type Hop } from '../../helpers/people.js';
import { LogLines } from '../../helpers/operations.js';

const OPERATOR = { email: 'Olive.Operator@example.com', password: 'operator password 1' };
const PERSON = { email: 'paul.person@example.com', password: 'person password 12' };
/** Disabled and enabled by the tests (a revocation covers tokens issued in the same second, so never PERSON or OPERATOR). */
const DORA = { email: 'dora.disabled@example.com', password: 'dora password 123' };
const OTTO = { email: 'otto.operator@example.com', password: 'otto password 1234' };

/** /admin → Inkan's sign-in → /admin/callback: the callback's answer. */
async function consoleSignIn(browser: HttpBrowser, email: string, password: string): Promise<Hop> {
  const start = await browser.request('/admin');
  expect(start.status).toBe(302);
  const authorize = new URL(start.location!);
  expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
    response_type: 'code',
    client_id: 'inkan-console',
    redirect_uri: `${browser.origin}/admin/callback`,
    scope: 'openid admin',
    code_challenge_method: 'S256',
  });
  const callback = await signIn(browser, authorize.href, email, password);
  expect(callback.origin + callback.pathname).toBe(`${browser.origin}/admin/callback`);
  return browser.request(callback.href);
}

async function signedInOperator(server: TestServer, operator = OPERATOR): Promise<HttpBrowser> {
  const browser = new HttpBrowser(server.issuer);
  const answer = await consoleSignIn(browser, operator.email, operator.password);
  expect(answer.status).toBe(302);
  expect(answer.location).toBe('/admin');
  return browser;
}

/** The person can still sign in (to the console client, which tells a refused operator apart from a refused password). */
async function personRefusedAsOperator(server: TestServer): Promise<boolean> {
  return (await consoleSignIn(new HttpBrowser(server.issuer), PERSON.email, PERSON.password)).status === 403;
}

describe('the operator console, ADMIN_API=off', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startInkan();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is not there: 404 for every console path, and no console client is registered', async () => {
    for (const path of ['/admin', '/admin/callback', '/admin/clients', '/admin/people', '/admin/keys']) {
      expect((await fetch(`${server.issuer}${path}`, { redirect: 'manual' })).status, path).toBe(404);
    }
    expect((await fetch(`${server.issuer}/admin/logout`, { method: 'POST', redirect: 'manual' })).status).toBe(404);
    const listed = await server.cli(['clients', 'list']);
    expect(listed.json<Array<{ client_id: string }>>().map((client) => client.client_id)).not.toContain('inkan-console');
  });
});

describe('the operator console, ADMIN_API=on', { timeout: 90_000 }, () => {
  let server: TestServer;
  let operatorId: string;
  const logs = new LogLines();
  beforeAll(async () => {
    server = await startInkan({ env: { ADMIN_API: 'on', ADMIN_OPERATORS: `olive.operator@example.com,${OTTO.email}` }, onLog: logs.collect });
    operatorId = (await createUser(server, OPERATOR.email, OPERATOR.password, 'Olive')).id;
    await createUser(server, PERSON.email, PERSON.password, 'Paul');
    await createUser(server, DORA.email, DORA.password, 'Dora');
    await createUser(server, OTTO.email, OTTO.password, 'Otto');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('signs the operator in through Inkan with code + PKCE and sets a strict, HttpOnly session cookie that ends with the token', async () => {
    const browser = new HttpBrowser(server.issuer);
    const answer = await consoleSignIn(browser, OPERATOR.email, OPERATOR.password);
    expect(answer.status).toBe(302);
    const cookie = answer.headers.getSetCookie().find((line) => line.startsWith('inkan_console_session='))!;
    expect(cookie).toMatch(/; Path=\/; HttpOnly; SameSite=Strict$/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)![1]);
    expect(maxAge).toBeGreaterThan(800);
    expect(maxAge).toBeLessThanOrEqual(900);
    const home = await browser.request('/admin');
    expect(home.status).toBe(200);
    expect(home.body).toContain('<h1>Operator console</h1>');
    expect(home.body).toContain('Olive.Operator@example.com');
  });

  it('refuses a person who is not in ADMIN_OPERATORS after sign-in, with no console session', async () => {
    const browser = new HttpBrowser(server.issuer);
    const answer = await consoleSignIn(browser, PERSON.email, PERSON.password);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('This account may not use the operator console.');
    expect(answer.headers.getSetCookie().some((line) => line.startsWith('inkan_console_session=') && !/Max-Age=0/.test(line))).toBe(false);
    // Only the console token was revoked: the person's Inkan session (their other applications) stays,
    // so /admin goes round the sign-in without a password and is refused again.
    const again = await browser.request('/admin');
    expect(again.status).toBe(302);
    const authorize = await browser.request(again.location!);
    expect(new URL(authorize.location!, server.issuer).pathname).toBe('/admin/callback');
    expect((await browser.request(authorize.location!)).status).toBe(403);
  });

  it('refuses a callback whose state this browser did not start', async () => {
    const browser = new HttpBrowser(server.issuer);
    const answer = await browser.request(`/admin/callback?code=abc&state=forged&iss=${encodeURIComponent(server.issuer)}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('This sign-in was not started by this browser');
  });

  it('refuses every state-changing request without the CSRF token, with a wrong one, or from another origin, and changes nothing', async () => {
    const browser = await signedInOperator(server);
    const csrf = csrfOf((await browser.request('/admin/people')).body);
    // Wrong by its first character: the last one of a base64url SHA-256 carries 4 bits, so it is 'A' one time in 16.
    const wrongCsrf = `${csrf.startsWith('A') ? 'B' : 'A'}${csrf.slice(1)}`;
    const attempts: Array<{ path: string; form: Record<string, string>; headers?: Record<string, string> }> = [
      { path: '/admin/people/disable', form: { email: PERSON.email } },
      { path: '/admin/people/disable', form: { email: PERSON.email, csrf: wrongCsrf } },
      { path: '/admin/people/disable', form: { email: PERSON.email, csrf }, headers: { origin: 'https://attacker.example' } },
      { path: '/admin/clients', form: { name: 'forged', grant_types: 'client_credentials' } },
      { path: '/admin/keys/rotate', form: { unpublished: 'true' } },
      { path: '/admin/people/sessions/everywhere', form: { email: PERSON.email } },
      { path: '/admin/logout', form: {} },
    ];
    const clientsBefore = (await server.cli(['clients', 'list'])).json<unknown[]>().length;
    const keysBefore = (await server.cli(['keys', 'list'])).stdout;
    for (const attempt of attempts) {
      const answer = await browser.request(attempt.path, { form: attempt.form, ...(attempt.headers === undefined ? {} : { headers: attempt.headers }) });
      expect(answer.status, JSON.stringify(attempt)).toBe(403);
      expect(answer.body).toContain('did not come from the console (missing or wrong CSRF token): nothing was changed.');
    }
    expect((await server.cli(['clients', 'list'])).json<unknown[]>().length).toBe(clientsBefore);
    expect((await server.cli(['keys', 'list'])).stdout).toBe(keysBefore);
    expect(await personRefusedAsOperator(server)).toBe(true); // still enabled: signs in, then refused as an operator
    expect((await browser.request('/admin')).status).toBe(200); // the forged logout did not end the session

    // With the token, the same request works.
    const done = await browser.request('/admin/people/disable', { form: { email: DORA.email, csrf } });
    expect(done.status).toBe(200);
    expect(done.body).toContain('dora.disabled@example.com disabled');
    expect((await browser.request('/admin/people/enable', { form: { email: DORA.email, csrf } })).status).toBe(200);
  });

  it('refuses a POST without a console session (401), and with a session cookie that is not a console token', async () => {
    const stranger = new HttpBrowser(server.issuer);
    const answer = await stranger.request('/admin/people/disable', { form: { email: PERSON.email, csrf: 'x' } });
    expect(answer.status).toBe(401);
    stranger.cookies.set('inkan_console_session', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln');
    expect((await stranger.request('/admin/people/disable', { form: { email: PERSON.email, csrf: 'x' } })).status).toBe(401);
    expect((await stranger.request('/admin')).status).toBe(302);
    expect(await personRefusedAsOperator(server)).toBe(true);
  });

  it('serves no inline script on any console page: a nonce or self script-src, no unsafe-inline, every <script> with a src, no handlers', async () => {
    const browser = await signedInOperator(server);
    const pages = [
      await browser.request('/admin'),
      await browser.request('/admin/clients'),
      await browser.request('/admin/people?q=example'),
      await browser.request(`/admin/people/sessions?email=${encodeURIComponent(OPERATOR.email)}`),
      await browser.request('/admin/keys'),
      await new HttpBrowser(server.issuer).request('/admin/callback?state=x'),
      await new HttpBrowser(server.issuer).request('/admin/keys/rotate', { form: { csrf: 'x' } }),
    ];
    for (const page of pages) {
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'(;|$)/);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("form-action 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      const scripts = page.body.match(/<script\b[^>]*>/g) ?? [];
      expect(scripts).toEqual(['<script src="/assets/console.js" nonce="' + /nonce-([^']+)'/.exec(csp)![1] + '" defer>']);
      expect(page.body).not.toMatch(/<script\b[^>]*>[^<]/);
      expect(page.body).not.toMatch(/\son[a-z]+=/i);
      expect(page.body).not.toMatch(/javascript:/i);
    }
    const script = await fetch(`${server.issuer}/assets/console.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('data-confirm');
  });

  it('escapes what it shows: a client name with markup is text', async () => {
    const browser = await signedInOperator(server);
    const csrf = csrfOf((await browser.request('/admin/clients')).body);
    const created = await browser.request('/admin/clients', { form: { csrf, name: '<img src=x onerror=alert(1)>', grant_types: 'client_credentials' } });
    expect(created.status).toBe(201);
    expect(created.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(created.body).not.toContain('<img src=x');
  });

  it('shows why a registration is refused, and refuses to delete its own client (409)', async () => {
    const browser = await signedInOperator(server);
    const csrf = csrfOf((await browser.request('/admin/clients')).body);
    const refused = await browser.request('/admin/clients', { form: { csrf, name: 'public', grant_types: 'client_credentials', auth_method: 'none' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('a public client (auth method none) cannot use client_credentials');
    const own = await browser.request('/admin/clients/inkan-console/delete', { form: { csrf } });
    expect(own.status).toBe(409);
    expect(own.body).toContain('inkan-console is the operator console&#39;s own client');
  });

  it('lists a person\'s sessions and ends one; refuses to revoke a key without the confirmation', async () => {
    const browser = await signedInOperator(server);
    const csrf = csrfOf((await browser.request('/admin')).body);
    const sessions = await browser.request(`/admin/people/sessions?email=${encodeURIComponent(OPERATOR.email)}`);
    const sids = [...sessions.body.matchAll(/data-session="([^"]+)"/g)].map((match) => match[1]!);
    expect(sids.length).toBeGreaterThanOrEqual(1);
    const other = new HttpBrowser(server.issuer);
    await consoleSignIn(other, OPERATOR.email, OPERATOR.password);
    const listed = await browser.request(`/admin/people/sessions?email=${encodeURIComponent(OPERATOR.email)}`);
    const listedSids = [...listed.body.matchAll(/data-session="([^"]+)"/g)].map((match) => match[1]!);
    expect(listedSids).toHaveLength(sids.length + 1);
    const newest = listedSids.find((sid) => !sids.includes(sid))!;
    expect((await other.request('/admin')).status).toBe(200);
    const ended = await browser.request('/admin/people/sessions/revoke', { form: { csrf, email: OPERATOR.email, sid: newest } });
    expect(ended.status).toBe(200);
    expect(ended.body).toContain('Session ended.');
    // That session's console token is revoked with it: the other browser is sent to sign in again.
    expect((await other.request('/admin')).status).toBe(302);
    expect((await browser.request('/admin/people/sessions/revoke', { form: { csrf, email: PERSON.email, sid: newest } })).status).toBe(404);

    const keys = await browser.request('/admin/keys');
    const kid = /data-kid="([^"]+)" data-status="active"/.exec(keys.body)![1]!;
    const unconfirmed = await browser.request(`/admin/keys/${kid}/revoke`, { form: { csrf } });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body).toContain(`Tick &quot;Yes, revoke ${kid}&quot; to revoke it.`);
    expect((await server.cli(['keys', 'list'])).json<Array<{ kid: string; status: string }>>().find((key) => key.kid === kid)?.status).toBe('active');
  });

  it('creates a person, resets their MFA, logs them out everywhere and deletes a client, each audited as the operator', async () => {
    const browser = await signedInOperator(server);
    const csrf = csrfOf((await browser.request('/admin')).body);
    const created = await browser.request('/admin/people', { form: { csrf, email: 'nina.new@example.com', name: 'Nina', password: 'a new password 123' } });
    expect(created.status).toBe(201);
    expect(created.body).toContain('nina.new@example.com created.');
    expect(created.body).toContain('data-person="nina.new@example.com"');
    expect(created.body).not.toContain('a new password 123');
    const duplicate = await browser.request('/admin/people', { form: { csrf, email: 'NINA.new@example.com', password: 'a new password 123' } });
    expect(duplicate.status).toBe(409);
    const reset = await browser.request('/admin/people/mfa-reset', { form: { csrf, email: 'nina.new@example.com' } });
    expect(reset.status).toBe(200);
    expect(reset.body).toContain('Every second factor of nina.new@example.com removed');
    expect((await browser.request('/admin/people/mfa-reset', { form: { csrf, email: 'nobody@example.com' } })).status).toBe(404);

    const everywhere = await browser.request('/admin/people/sessions/everywhere', { form: { csrf, email: 'nina.new@example.com' } });
    expect(everywhere.status).toBe(200);
    expect(everywhere.body).toContain('nina.new@example.com is logged out everywhere.');
    expect(everywhere.body).toContain('No live session.');

    const client = await browser.request('/admin/clients', { form: { csrf, name: 'Short-lived', grant_types: 'client_credentials' } });
    const clientId = /data-client-id>([^<]+)</.exec(client.body)![1]!;
    const deleted = await browser.request(`/admin/clients/${clientId}/delete`, { form: { csrf } });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toContain(`Client ${clientId} deleted`);
    expect(deleted.body).not.toContain(`data-client="${clientId}"`);
    expect((await browser.request(`/admin/clients/${clientId}/delete`, { form: { csrf } })).status).toBe(404);

    const asOperator = { actor: 'admin-console', actor_id: operatorId, reqId: expect.any(String), client_address: '127.0.0.1' };
    expect(logs.audit('user.created').find((line) => line.sub !== undefined && line.actor === 'admin-console')).toMatchObject(asOperator);
    expect(logs.audit('mfa.reset').at(-1)).toMatchObject(asOperator);
    expect(logs.audit('tokens.revoked').at(-1)).toMatchObject(asOperator);
    expect(logs.audit('client.created').find((line) => line.client_id === clientId)).toMatchObject(asOperator);
    expect(logs.audit('client.deleted').find((line) => line.client_id === clientId)).toMatchObject(asOperator);
  });

  it('ends the console session of an operator who is disabled', async () => {
    const browser = await signedInOperator(server, OTTO);
    expect((await browser.request('/admin')).status).toBe(200);
    expect((await server.cli(['users', 'disable', '--email', OTTO.email])).code).toBe(0);
    // Revocations reach the server through the change feed: poll, generously.
    await expect.poll(async () => (await browser.request('/admin')).status, { timeout: 20_000, interval: 200 }).toBe(302);
  });

  it('logs out: the Inkan session and the console token end, the cookie is cleared', async () => {
    const browser = await signedInOperator(server);
    const token = browser.cookies.get('inkan_console_session')!;
    const csrf = csrfOf((await browser.request('/admin')).body);
    const out = await browser.request('/admin/logout', { form: { csrf } });
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie().some((line) => /^inkan_console_session=; Max-Age=0/.test(line))).toBe(true);
    const replay = new HttpBrowser(server.issuer);
    replay.cookies.set('inkan_console_session', token);
    expect((await replay.request('/admin')).status).toBe(302);
    // The Inkan session ended too: /admin now needs the password again.
    const start = await browser.request('/admin');
    const authorize = await browser.request(start.location!);
    expect(authorize.location).toMatch(/^\/login\?/);
  });
});

describe('the operator console behind https', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startInkan({ env: { ADMIN_API: 'on', ADMIN_OPERATORS: 'olive.operator@example.com', ISSUER: 'https://idp.example.com' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps its sign-in cookie __Host- prefixed and Secure, and registers the https redirect URI', async () => {
    const base = (await server.cli(['clients', 'list'])).json<Array<{ client_id: string; redirect_uris: string[] }>>();
    expect(base.find((client) => client.client_id === 'inkan-console')?.redirect_uris).toEqual(['https://idp.example.com/admin/callback']);
    const answer = await fetch(`http://127.0.0.1:${server.env.PORT}/admin`, { redirect: 'manual' });
    const url = new URL(answer.headers.get('location')!);
    expect(url.origin + url.pathname).toBe('https://idp.example.com/authorize');
    const cookie = answer.headers.getSetCookie().find((line) => line.startsWith('__Host-inkan_console_signin='))!;
    expect(cookie).toMatch(/; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
  });
});
