/**
 * The passkey sign-in endpoints over HTTP, driven like a browser with a software authenticator
 * (test/passkeys/soft-authenticator.ts) on an issuer at `localhost`: the sign-in page offers the
 * passkey button with its scripts under the CSP nonce; POST /login/passkey/options answers the
 * WebAuthn options; POST /login/passkey signs in and moves on like a password. Refused, with the
 * exact page message: the same answer posted again (the challenge is single-use), an answer after
 * the challenge expired, a form without the page's CSRF token (403), a browser that did not start
 * the request. Audit lines and the metric count the outcomes. On an issuer whose host is an IP
 * address, no passkey is offered and the server says why at start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient } from '../../helpers/clients.js';
import { authorizeUrl, createUser, csrfOf, HttpBrowser, movableClock, PKCE_CHALLENGE } from '../../helpers/people.js';
import { LogLines, sample, scrape } from '../../helpers/operations.js';
import { SoftAuthenticator } from '../../passkeys/soft-authenticator.js';
import { CHALLENGE_TTL_SECONDS } from '../../../src/passkeys/ceremonies.js';

const REDIRECT_URI = 'https://app.example/callback';

describe('passkey sign-in over HTTP', () => {
  const clock = movableClock();
  const logs = new LogLines();
  let server: TestServer;
  let clientId: string;
  let authenticator: SoftAuthenticator;
  let userId: string;

  beforeAll(async () => {
    server = await startInkan({ issuerHost: 'localhost', core: { clock }, onLog: logs.collect });
    clientId = (await registerClient(server, ['--name', 'App', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT_URI, '--scope', 'openid', '--auth-method', 'none']))
      .client_id;
    userId = (await createUser(server, 'ada@example.com', 'correct horse battery staple')).id;
    authenticator = new SoftAuthenticator({ rpId: 'localhost', origin: server.issuer });
    // Enrolled through the ceremonies (the account page's part is proved in Chromium).
    const passkeys = server.deps.passkeys!;
    const user = (await server.deps.stores.users.find(userId))!;
    const options = await passkeys.registrationOptions(user, 'test');
    const registered = await passkeys.register(user, 'test', JSON.stringify(authenticator.register(options)), 'Laptop', {});
    expect(registered.ok).toBe(true);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function signInPage(browser = new HttpBrowser(server.issuer)) {
    const start = await browser.request(authorizeUrl(server.issuer, { client_id: clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', state: 's', ...PKCE_CHALLENGE }));
    expect(start.status).toBe(302);
    const page = await browser.request(start.location!);
    return { browser, location: start.location!, page, csrf: csrfOf(page.body), ix: new URL(start.location!, server.issuer).searchParams.get('ix')! };
  }

  async function options(browser: HttpBrowser, ix: string, csrf: string) {
    const answer = await browser.request(`/login/passkey/options?ix=${ix}`, { form: { csrf } });
    return { status: answer.status, json: JSON.parse(answer.body) as { challenge: string } & Record<string, unknown>, headers: answer.headers };
  }

  it('offers the button with its scripts allowed by nonce, and answers the options', async () => {
    const { browser, page, csrf, ix } = await signInPage();
    expect(page.status).toBe(200);
    expect(page.body).toContain('>Sign in with a passkey</button>');
    const csp = page.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.body).toContain(`<script src="/assets/simplewebauthn-browser.js" nonce="${nonce}" defer></script>`);
    expect(page.body).toContain(`<script src="/assets/passkeys.js" nonce="${nonce}" defer></script>`);
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page.body).not.toMatch(/\son[a-z]+=/);
    for (const path of ['/assets/simplewebauthn-browser.js', '/assets/passkeys.js']) {
      const script = await fetch(`${server.issuer}${path}`);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(script.headers.get('x-content-type-options')).toBe('nosniff');
      const etag = script.headers.get('etag')!;
      expect((await fetch(`${server.issuer}${path}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
    expect(await (await fetch(`${server.issuer}/assets/simplewebauthn-browser.js`)).text()).toContain('SimpleWebAuthnBrowser');

    const answer = await options(browser, ix, csrf);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.json).toMatchObject({ rpId: 'localhost', userVerification: 'required', timeout: CHALLENGE_TTL_SECONDS * 1000 });
    expect(answer.json.allowCredentials ?? []).toEqual([]);

    expect((await browser.request(`/login/passkey/options?ix=${ix}`, { form: { csrf: 'wrong' } })).status).toBe(403);
    const stranger = await new HttpBrowser(server.issuer).request(`/login/passkey/options?ix=${ix}`, { form: { csrf } });
    expect(stranger.status).toBe(400);
    expect(JSON.parse(stranger.body)).toEqual({
      error: 'invalid_request',
      error_description: 'This sign-in request was started in another browser. Go back to the application and start again.',
    });
  });

  it('signs in with the passkey alone; the same answer posted again is refused (single-use challenge)', async () => {
    const before = sample(await scrape(server), 'inkan_passkey_ceremonies_total', { ceremony: 'authentication', outcome: 'success' })!;
    const { browser, location, csrf, ix } = await signInPage();
    const challenge = await options(browser, ix, csrf);
    const form = { csrf, credential: JSON.stringify(authenticator.assert(authenticator.credentials[0]!, challenge.json)) };
    const signedIn = await browser.request(`/login/passkey?ix=${ix}`, { form });
    expect(signedIn.status).toBe(303);
    // The client needs consent: the pending request lives on, so the answer can be replayed to it.
    expect(signedIn.location).toBe(`/consent?ix=${ix}`);
    expect(browser.cookies.has('inkan_session')).toBe(true);
    expect(sample(await scrape(server), 'inkan_passkey_ceremonies_total', { ceremony: 'authentication', outcome: 'success' })).toBe(before + 1);
    expect(logs.audit('passkey.used').at(-1)).toMatchObject({ sub: userId, client_id: clientId, synced: false, actor: 'user', credential_sha256: expect.stringMatching(/^[0-9a-f]{16}$/) });

    // The login page again, for its fresh CSRF token, then the very same answer.
    const again = await browser.request(location);
    const replayed = await browser.request(`/login/passkey?ix=${ix}`, { form: { ...form, csrf: csrfOf(again.body) } });
    expect(replayed.status).toBe(401);
    expect(replayed.body).toContain('This passkey request was already used or replaced. Try again.');
    expect(logs.audit('passkey.failed').at(-1)).toMatchObject({ ceremony: 'authentication', reason: 'no_challenge', client_id: clientId });
  });

  it('refuses an answer after its challenge expired, and a form without the CSRF token', async () => {
    const { browser, location, csrf, ix } = await signInPage();
    const challenge = await options(browser, ix, csrf);
    const credential = JSON.stringify(authenticator.assert(authenticator.credentials[0]!, challenge.json));
    expect((await browser.request(`/login/passkey?ix=${ix}`, { form: { credential } })).status).toBe(403);

    clock.advance(CHALLENGE_TTL_SECONDS);
    const late = await browser.request(`/login/passkey?ix=${ix}`, { form: { csrf, credential } });
    expect(late.status).toBe(401);
    expect(late.body).toContain('This passkey request has expired. Try again.');
    expect(late.body).toContain('>Sign in with a passkey</button>');
    expect(browser.cookies.has('inkan_session')).toBe(false);
    expect((await browser.request(location)).status).toBe(200);
  });
});

describe('passkeys on an issuer whose host is an IP address', () => {
  it('offers none, and says why at start', async () => {
    const logs = new LogLines();
    const server = await startInkan({ onLog: logs.collect });
    try {
      expect(logs.lines.find((line) => line.event === 'passkeys.unavailable')).toMatchObject({
        level: 40,
        msg: "passkeys are not offered: the issuer's host 127.0.0.1 is an IP address, and a WebAuthn RP ID must be a domain name (use a name such as localhost)",
      });
      const client = await registerClient(server, ['--name', 'App', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT_URI, '--scope', 'openid', '--auth-method', 'none']);
      const browser = new HttpBrowser(server.issuer);
      const start = await browser.request(authorizeUrl(server.issuer, { client_id: client.client_id, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', ...PKCE_CHALLENGE }));
      const page = await browser.request(start.location!);
      expect(page.body).not.toContain('Sign in with a passkey');
      expect(page.body).not.toContain('data-passkey');
      expect(page.body).not.toContain('<script');
      expect(page.headers.get('content-security-policy')).not.toContain('script-src');
      const ix = new URL(start.location!, server.issuer).searchParams.get('ix')!;
      const refused = await browser.request(`/login/passkey/options?ix=${ix}`, { form: { csrf: csrfOf(page.body) } });
      expect(refused.status).toBe(404);
      expect(JSON.parse(refused.body)).toEqual({ error: 'invalid_request', error_description: 'passkeys are not available on this server' });
    } finally {
      await server.stop();
    }
  });
});
