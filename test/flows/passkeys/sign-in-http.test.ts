/**
 * The passkey sign-in endpoints over HTTP, driven like a browser with a software authenticator
 * (test/passkeys/soft-authenticator.ts) on an issuer at `localhost`: the sign-in page offers the
 * passkey button with its scripts under the CSP nonce; POST /login/passkey/options answers the
 * WebAuthn options; POST /login/passkey signs in and moves on like a password. Refused, with the
 * exact page message: the same answer posted again (the challenge is single-use), an answer after
 * the challenge expired, a form without the page's CSRF token (403), a browser that did not start
 * the request. Audit lines and the metric count the outcomes. The ID token of a synced passkey says
 * `swk`; `acr_values=phr` is reached by a passkey (and `urn:inkan:acr:mfa` answered as asked);
 * `users mfa reset` removes the person's passkeys. On an issuer whose host is an IP address, no
 * passkey is offered and the server says why at start.
 */
import crypto from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient } from '../../helpers/clients.js';
import { authorizeUrl, createUser, csrfOf, HttpBrowser, movableClock, PKCE_CHALLENGE } from '../../helpers/people.js';
import { LogLines, sample, scrape } from '../../helpers/operations.js';
import { recordSecrets, recordTokenResponse } from '../../helpers/secrets.js';
import { FLAGS, SoftAuthenticator, type SoftCredential } from '../../passkeys/soft-authenticator.js';
import { CHALLENGE_TTL_SECONDS } from '../../../src/passkeys/ceremonies.js';

const REDIRECT_URI = 'https://app.example/callback';
/** PKCE for the flows whose code is exchanged (S256 of the verifier, RFC 7636 §4.2). */
const PKCE_VERIFIER = crypto.randomBytes(32).toString('base64url');
const PKCE_S256 = { code_challenge: crypto.createHash('sha256').update(PKCE_VERIFIER).digest('base64url'), code_challenge_method: 'S256' };

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

  async function signInPage(browser = new HttpBrowser(server.issuer), extra: Record<string, string> = {}) {
    const start = await browser.request(
      authorizeUrl(server.issuer, { client_id: clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', state: 's', ...PKCE_CHALLENGE, ...extra }),
    );
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

describe('passkey sign-ins in tokens, step-up and the MFA reset', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startInkan({ issuerHost: 'localhost' });
    clientId = (
      await registerClient(server, ['--name', 'App', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT_URI, '--scope', 'openid', '--auth-method', 'none', '--skip-consent'])
    ).client_id;
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A person with one passkey of a software authenticator answering with `flags`. */
  async function personWithPasskey(email: string, flags: number): Promise<{ id: string; authenticator: SoftAuthenticator; credential: SoftCredential }> {
    const { id } = await createUser(server, email, 'correct horse battery staple');
    const authenticator = new SoftAuthenticator({ rpId: 'localhost', origin: server.issuer, flags });
    const user = (await server.deps.stores.users.find(id))!;
    const options = await server.deps.passkeys!.registrationOptions(user, `test:${id}`);
    expect((await server.deps.passkeys!.register(user, `test:${id}`, JSON.stringify(authenticator.register(options)), 'Phone', {})).ok).toBe(true);
    return { id, authenticator, credential: authenticator.credentials[0]! };
  }

  /** A passkey sign-in from the authorization request to the ID token, verified with the JWKS. */
  async function passkeyIdToken(person: { authenticator: SoftAuthenticator; credential: SoftCredential }, extra: Record<string, string> = {}): Promise<JWTPayload> {
    const browser = new HttpBrowser(server.issuer);
    const start = await browser.request(authorizeUrl(server.issuer, { client_id: clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', ...PKCE_S256, ...extra }));
    const ix = new URL(start.location!, server.issuer).searchParams.get('ix')!;
    const page = await browser.request(start.location!);
    const csrf = csrfOf(page.body);
    const options = JSON.parse((await browser.request(`/login/passkey/options?ix=${ix}`, { form: { csrf } })).body) as { challenge: string };
    const signedIn = await browser.request(`/login/passkey?ix=${ix}`, { form: { csrf, credential: JSON.stringify(person.authenticator.assert(person.credential, options)) } });
    expect(signedIn.status, signedIn.body.slice(0, 300)).toBe(303);
    const code = new URL(signedIn.location!).searchParams.get('code')!;
    recordSecrets(code);
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: clientId, code_verifier: PKCE_VERIFIER }),
    });
    const tokens = (await response.json()) as { id_token: string };
    recordTokenResponse(tokens);
    expect(response.status, JSON.stringify(tokens)).toBe(200);
    return (await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer, audience: clientId })).payload;
  }

  it('says swk for a synced passkey, hwk for a device-bound one, and user; never pwd', async () => {
    const synced = await personWithPasskey('synced@example.com', FLAGS.UP | FLAGS.UV | FLAGS.BE | FLAGS.BS);
    expect(await passkeyIdToken(synced)).toMatchObject({ sub: synced.id, amr: ['swk', 'user'], acr: 'phr' });
    const bound = await personWithPasskey('bound@example.com', FLAGS.UP | FLAGS.UV);
    expect(await passkeyIdToken(bound)).toMatchObject({ sub: bound.id, amr: ['hwk', 'user'], acr: 'phr' });
  });

  it('reaches acr_values=phr, and answers urn:inkan:acr:mfa when that is asked', async () => {
    const person = await personWithPasskey('stepup@example.com', FLAGS.UP | FLAGS.UV);
    expect(await passkeyIdToken(person, { acr_values: 'phr' })).toMatchObject({ acr: 'phr', amr: ['hwk', 'user'] });
    expect(await passkeyIdToken(person, { acr_values: 'urn:inkan:acr:mfa' })).toMatchObject({ acr: 'urn:inkan:acr:mfa', amr: ['hwk', 'user'] });
  });

  it('loses its passkeys to users mfa reset: they sign nobody in afterwards', async () => {
    const person = await personWithPasskey('reset@example.com', FLAGS.UP | FLAGS.UV);
    const reset = await server.cli(['users', 'mfa', 'reset', '--email', 'reset@example.com']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.json()).toEqual({ reset: 'reset@example.com' });
    expect(await server.deps.stores.passkeys.listForUser(person.id)).toEqual([]);

    const browser = new HttpBrowser(server.issuer);
    const start = await browser.request(authorizeUrl(server.issuer, { client_id: clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', ...PKCE_CHALLENGE }));
    const ix = new URL(start.location!, server.issuer).searchParams.get('ix')!;
    const csrf = csrfOf((await browser.request(start.location!)).body);
    const options = JSON.parse((await browser.request(`/login/passkey/options?ix=${ix}`, { form: { csrf } })).body) as { challenge: string };
    const refused = await browser.request(`/login/passkey?ix=${ix}`, { form: { csrf, credential: JSON.stringify(person.authenticator.assert(person.credential, options)) } });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('This passkey is not registered with Inkan. It may have been removed.');
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
