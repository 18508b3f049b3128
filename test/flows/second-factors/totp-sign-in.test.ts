/**
 * Authenticator apps and recovery codes over HTTP, as a person and a relying party meet them: the
 * account page (signed-in only, CSP, CSRF), setting up an app from the secret the page shows
 * (a wrong code refused, the right one finishing it and showing 10 recovery codes once), then the
 * two-step sign-in of an authorization-code flow run by openid-client: after the right password
 * the Code page, no session before the code, and an ID token (verified with the JWKS from
 * discovery) whose amr is pwd, otp, mfa and whose acr is urn:inkan:acr:mfa. A used code, a wrong
 * code, throttling of wrong codes, each recovery code once, removing the app (after a fresh
 * sign-in), the audit lines and the metric.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { eventually } from '../../helpers/eventually.js';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { LogLines, sample, scrape } from '../../helpers/operations.js';
import { createUser, csrfOf, HttpBrowser, movableClock } from '../../helpers/people.js';
import { recordTokenResponse } from '../../helpers/secrets.js';
import { alertOf, codeStep, enrolTotp, openAccount, passwordStep, throughConsent, totpCode, type Enrolled } from './support.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const clock = movableClock();
const logs = new LogLines();
let server: TestServer;
let client: RegisteredClient;
let config: oidc.Configuration;
let jwks: ReturnType<typeof createRemoteJWKSet>;

beforeAll(async () => {
  server = await startInkan({ core: { clock }, onLog: logs.collect });
  client = await registerClient(server, [
    '--name', 'Ledger', '--grant-types', 'authorization_code,refresh_token', '--redirect-uris', REDIRECT, '--scope', 'openid profile email offline_access',
  ]);
  config = await oidc.discovery(new URL(server.issuer), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret!), { execute: [oidc.allowInsecureRequests] });
  jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
});
afterAll(async () => {
  await server.stop();
});

/** A person with an authenticator app set up on the account page. */
async function personWithApp(email: string, password = 'a-long-enough-password'): Promise<Enrolled & { email: string; password: string }> {
  await createUser(server, email, password);
  const browser = new HttpBrowser(server.issuer);
  const account = await openAccount(browser, email, password);
  const enrolled = await enrolTotp(browser, account, clock.nowSeconds());
  return { ...enrolled, email, password };
}

/** An authorization request as openid-client builds it (PKCE, state, nonce). */
async function authorizationRequest(extra: Record<string, string> = {}) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const exchange = async (callback: URL) => {
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce });
    recordTokenResponse(tokens);
    return tokens;
  };
  return { url: url.href, exchange };
}

async function verifiedIdToken(idToken: string): Promise<JWTPayload> {
  return (await jwtVerify(idToken, jwks, { issuer: server.issuer, audience: client.client_id })).payload;
}

/** The whole two-step sign-in with `code`, in a fresh browser; returns the ID token's claims. */
async function signInWithCode(person: { email: string; password: string }, code: string, extra: Record<string, string> = {}) {
  const browser = new HttpBrowser(server.issuer);
  const request = await authorizationRequest(extra);
  const { answer, action } = await passwordStep(browser, request.url, person.email, person.password);
  const posted = await codeStep(browser, action, answer, code);
  return { browser, posted, request, action, codePage: answer };
}

describe('the account page', () => {
  it('sends a visitor without a session through the sign-in page and back', async () => {
    await createUser(server, 'visitor@example.com', 'visitor-password-1');
    const browser = new HttpBrowser(server.issuer);
    const first = await browser.request('/account');
    expect(first.status).toBe(302);
    expect(first.location).toMatch(/^\/login\?ix=/);
    const page = await browser.request(first.location!);
    expect(page.body).toContain('your Inkan account');
    const posted = await browser.request(first.location!, { form: { csrf: csrfOf(page.body), email: 'visitor@example.com', password: 'visitor-password-1' } });
    expect(posted.status).toBe(303);
    expect(posted.location).toBe('/account');
    const account = await browser.request('/account');
    expect(account.status).toBe(200);
    expect(account.body).toContain('visitor@example.com');
    expect(account.body).toContain('>Set up an authenticator app</button>');
    const csp = account.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/style-src 'nonce-/);
    expect(csp).not.toMatch(/script-src/);
    expect(account.headers.get('x-frame-options')).toBe('DENY');
    expect(account.body).not.toMatch(/<script\b|\son[a-z]+=/);
  });

  it('refuses a change without the CSRF token of the page (403)', async () => {
    await createUser(server, 'csrf-account@example.com', 'csrf-account-password');
    const browser = new HttpBrowser(server.issuer);
    await openAccount(browser, 'csrf-account@example.com', 'csrf-account-password');
    const posted = await browser.request('/account', { form: { action: 'totp-setup', csrf: 'x'.repeat(43) } });
    expect(posted.status).toBe(403);
    expect(posted.body).not.toContain('data-totp-secret');
  });

  it('shows the secret and the otpauth URI, refuses a wrong code, and finishes with the right one showing 10 recovery codes once', async () => {
    await createUser(server, 'enrol@example.com', 'enrol-password-1');
    const browser = new HttpBrowser(server.issuer);
    const account = await openAccount(browser, 'enrol@example.com', 'enrol-password-1');
    const setup = await browser.request('/account', { form: { csrf: csrfOf(account.body), action: 'totp-setup' } });
    const secret = /data-totp-secret>([A-Z2-7]+)</.exec(setup.body)![1]!;
    const uri = new URL(/data-totp-uri href="([^"]+)"/.exec(setup.body)![1]!.replaceAll('&amp;', '&'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ secret, algorithm: 'SHA1', digits: '6', period: '30', issuer: '127.0.0.1' });
    expect(setup.body).toMatch(/<svg class="qr"[^>]*role="img"/);
    expect(setup.body).toContain('<label for="code">Code</label>');
    expect(setup.body).toContain('>Verify</button>');
    // The secret is stored sealed, never in clear.
    const stored = await server.deps.stores.totpFactors.listForUser((await server.deps.stores.users.findByEmail('enrol@example.com'))!.id);
    expect(stored[0]!.sealedSecret).not.toContain(secret);
    expect(stored[0]!.verifiedAt).toBeNull();

    const factor = /name="factor" value="([^"]+)"/.exec(setup.body)![1]!;
    const wrongCode = totpCode(secret, clock.nowSeconds() + 600);
    const wrong = await browser.request('/account', { form: { csrf: csrfOf(setup.body), action: 'totp-verify', factor, code: wrongCode } });
    expect(wrong.status).toBe(400);
    expect(alertOf(wrong.body)).toBe('That code is not correct. Check the app and try again.');
    expect(wrong.body).toContain(`data-totp-secret>${secret}<`);

    const right = await browser.request('/account', { form: { csrf: csrfOf(wrong.body), action: 'totp-verify', factor, code: totpCode(secret, clock.nowSeconds()) } });
    expect(right.status).toBe(200);
    const codes = [...right.body.matchAll(/data-recovery-code>([a-z2-7-]+)</g)].map((match) => match[1]!);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(right.body).toContain('data-factor-kind="totp"');
    // Shown once: the page again shows how many are left, not the codes.
    const again = await browser.request('/account');
    expect(again.body).not.toContain('data-recovery-code');
    expect(again.body).toContain('10 of 10 recovery codes left.');
  });
});

describe('signing in with a password and a code', () => {
  it('asks for the Code after the right password, with no session before it, and issues amr pwd otp mfa with acr urn:inkan:acr:mfa', async () => {
    const person = await personWithApp('two-step@example.com');
    clock.advance(30);
    const browser = new HttpBrowser(server.issuer);
    const request = await authorizationRequest();
    const { answer, action } = await passwordStep(browser, request.url, person.email, person.password);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<label for="code">Code</label>');
    expect(answer.body).toContain('>Verify</button>');
    expect(browser.cookies.has('inkan_session')).toBe(false);

    const posted = await codeStep(browser, action, answer, totpCode(person.secret, clock.nowSeconds()));
    expect(browser.cookies.has('inkan_session')).toBe(true);
    const tokens = await request.exchange(await throughConsent(browser, posted));
    const claims = await verifiedIdToken(tokens.id_token!);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe('urn:inkan:acr:mfa');
    const access = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, typ: 'at+jwt' });
    expect(access.payload.acr).toBe('urn:inkan:acr:mfa');
  });

  it('refuses a code used before, with the page message, and takes the next one', async () => {
    const person = await personWithApp('replay@example.com');
    clock.advance(30);
    const code = totpCode(person.secret, clock.nowSeconds());
    const first = await signInWithCode(person, code);
    expect(first.posted.status).toBe(303);
    const second = await signInWithCode(person, code);
    expect(second.posted.status).toBe(401);
    expect(alertOf(second.posted.body)).toBe('That code was already used. Wait for the next code and try again.');
    expect(second.browser.cookies.has('inkan_session')).toBe(false);
    clock.advance(30);
    const next = await codeStep(second.browser, second.action, second.posted, totpCode(person.secret, clock.nowSeconds()));
    expect(next.status).toBe(303);
  });

  it('refuses the code enrolment used (its time step is spent)', async () => {
    const person = await personWithApp('enrol-step@example.com');
    const attempt = await signInWithCode(person, totpCode(person.secret, clock.nowSeconds()));
    expect(attempt.posted.status).toBe(401);
    expect(alertOf(attempt.posted.body)).toBe('That code was already used. Wait for the next code and try again.');
  });

  it('accepts one step of clock skew either way, and no more', async () => {
    const person = await personWithApp('skew@example.com');
    clock.advance(120);
    const now = clock.nowSeconds();
    expect((await signInWithCode(person, totpCode(person.secret, now - 30))).posted.status).toBe(303);
    expect((await signInWithCode(person, totpCode(person.secret, now + 30))).posted.status).toBe(303);
    const tooFar = await signInWithCode(person, totpCode(person.secret, now + 90));
    expect(tooFar.posted.status).toBe(401);
    expect(alertOf(tooFar.posted.body)).toBe('That code is not correct. Try again.');
  });

  it('refuses a wrong code with the page message, and throttles wrong codes (429 and Retry-After), the right one included', async () => {
    const person = await personWithApp('guesser@example.com');
    clock.advance(30);
    const browser = new HttpBrowser(server.issuer);
    const request = await authorizationRequest();
    const { answer, action } = await passwordStep(browser, request.url, person.email, person.password);
    const empty = await codeStep(browser, action, answer, '');
    expect(empty.status).toBe(400);
    expect(alertOf(empty.body)).toBe('Enter the code from your authenticator app, or a recovery code.');
    let page = empty;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      page = await codeStep(browser, action, page, '000000' === totpCode(person.secret, clock.nowSeconds()) ? '111111' : '000000');
      statuses.push(page.status);
      if (i === 0) expect(alertOf(page.body)).toBe('That code is not correct. Try again.');
    }
    // The account rule of the login throttle: four free, a block from the fifth failure on.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    expect(page.headers.get('retry-after')).toMatch(/^[0-9]+$/);
    expect(alertOf(page.body)).toMatch(/^Too many wrong codes\. Wait /);
    const blocked = await codeStep(browser, action, page, totpCode(person.secret, clock.nowSeconds()));
    expect(blocked.status).toBe(429);
    // The block ends; a right password does not lift it, a right code resets the count.
    clock.advance(2);
    const through = await codeStep(browser, action, blocked, totpCode(person.secret, clock.nowSeconds()));
    expect(through.status).toBe(303);
    const userId = (await server.deps.stores.users.findByEmail(person.email))!.id;
    expect(logs.audit('mfa.throttled').find((line) => line.sub === userId)).toMatchObject({ actor: 'user', client_id: client.client_id });
  });

  it('takes each recovery code once, in place of a TOTP code', async () => {
    const person = await personWithApp('recovery@example.com');
    const [firstCode, secondCode] = person.recoveryCodes;
    const first = await signInWithCode(person, firstCode!.toUpperCase());
    expect(first.posted.status).toBe(303);
    const tokens = await first.request.exchange(await throughConsent(first.browser, first.posted));
    expect((await verifiedIdToken(tokens.id_token!)).amr).toEqual(['pwd', 'otp', 'mfa']);
    const again = await signInWithCode(person, firstCode!);
    expect(again.posted.status).toBe(401);
    expect(alertOf(again.posted.body)).toBe('That code is not correct. Try again.');
    expect((await signInWithCode(person, secondCode!.replaceAll('-', ' '))).posted.status).toBe(303);
    const userId = (await server.deps.stores.users.findByEmail(person.email))!.id;
    expect(await server.deps.stores.recoveryCodes.countUnused(userId)).toBe(8);
    expect(logs.audit('mfa.succeeded').find((line) => line.sub === userId && line.method === 'recovery')).toMatchObject({ recovery_codes_left: 9 });
  });

  it('counts second-factor outcomes in inkan_second_factor_total and audits failures', async () => {
    const text = await scrape(server);
    expect(sample(text, 'inkan_second_factor_total', { method: 'totp', outcome: 'success' })).toBeGreaterThan(0);
    expect(sample(text, 'inkan_second_factor_total', { method: 'totp', outcome: 'replayed' })).toBeGreaterThan(0);
    expect(sample(text, 'inkan_second_factor_total', { method: 'recovery', outcome: 'success' })).toBeGreaterThan(0);
    expect(sample(text, 'inkan_second_factor_total', { method: 'code', outcome: 'failure' })).toBeGreaterThan(0);
    expect(sample(text, 'inkan_second_factor_total', { method: 'code', outcome: 'throttled' })).toBeGreaterThan(0);
    expect(logs.audit('mfa.failed').map((line) => line.reason)).toEqual(expect.arrayContaining(['wrong_code', 'replayed_code']));
    expect(logs.audit('mfa.totp_enrolled').length).toBeGreaterThan(0);
    expect(logs.audit('mfa.totp_enrolment_failed')[0]).toMatchObject({ actor: 'user', factor_id: expect.any(String) });
    expect(logs.audit('mfa.recovery_codes_generated')[0]).toMatchObject({ count: 10, actor: 'user' });
    expect(logs.raw.join('\n')).not.toMatch(/data-recovery-code|otpauth:/);
  });
});

describe('changing factors', () => {
  it('asks for a fresh sign-in (password and code) after 5 minutes, then removes the app and its recovery codes', async () => {
    const person = await personWithApp('remover@example.com');
    const browser = new HttpBrowser(server.issuer);
    clock.advance(30);
    // Signing in to the account page takes the code too.
    const first = await browser.request('/account');
    const { answer, action } = await (async () => {
      const page = await browser.request(first.location!);
      return { answer: await browser.request(first.location!, { form: { csrf: csrfOf(page.body), email: person.email, password: person.password } }), action: first.location! };
    })();
    expect(answer.body).toContain('<label for="code">Code</label>');
    expect((await codeStep(browser, action, answer, totpCode(person.secret, clock.nowSeconds()))).location).toBe('/account');
    const account = await browser.request('/account');
    const factor = /data-factor-id="([^"]+)"/.exec(account.body)![1]!;

    clock.advance(301);
    const stale = await browser.request('/account', { form: { csrf: csrfOf(account.body), action: 'factor-remove', factor } });
    expect(stale.status).toBe(303);
    expect(stale.location).toMatch(/^\/login\?ix=/);
    const login = await browser.request(stale.location!);
    expect(login.body).toContain('<label for="password">Password</label>');
    const password = await browser.request(stale.location!, { form: { csrf: csrfOf(login.body), email: person.email, password: person.password } });
    expect((await codeStep(browser, stale.location!, password, totpCode(person.secret, clock.nowSeconds()))).location).toBe('/account');

    const fresh = await browser.request('/account');
    const removed = await browser.request('/account', { form: { csrf: csrfOf(fresh.body), action: 'factor-remove', factor } });
    expect(removed.status).toBe(200);
    expect(removed.body).toContain('The authenticator app was removed.');
    expect(removed.body).toContain('>Set up an authenticator app</button>');
    const userId = (await server.deps.stores.users.findByEmail(person.email))!.id;
    expect(await server.deps.stores.recoveryCodes.countUnused(userId)).toBe(0);
    expect(logs.audit('mfa.totp_removed').find((line) => line.sub === userId)).toMatchObject({ factor_id: factor });
    // Shared Signals receivers hear of both changes as CAEP credential-change events.
    const changes = async () =>
      (await server.deps.stores.securityEvents.listSince(0, 1000)).filter((event) => event.userId === userId && event.type === 'credential-change');
    await eventually(async () => (await changes()).length >= 2, 5000);
    expect((await changes()).map((event) => event.details)).toEqual([
      { credential_type: 'app', change_type: 'create' },
      { credential_type: 'app', change_type: 'delete' },
    ]);
    // A password alone signs in again.
    const request = await authorizationRequest();
    const signIn = await passwordStep(new HttpBrowser(server.issuer), request.url, person.email, person.password);
    expect(signIn.answer.status).toBe(303);
  });

  it('replaces every recovery code with new ones', async () => {
    const person = await personWithApp('regenerate@example.com');
    const browser = new HttpBrowser(server.issuer);
    clock.advance(30);
    const first = await browser.request('/account');
    const page = await browser.request(first.location!);
    const password = await browser.request(first.location!, { form: { csrf: csrfOf(page.body), email: person.email, password: person.password } });
    await codeStep(browser, first.location!, password, totpCode(person.secret, clock.nowSeconds()));
    const account = await browser.request('/account');
    const regenerated = await browser.request('/account', { form: { csrf: csrfOf(account.body), action: 'recovery-regenerate' } });
    const codes = [...regenerated.body.matchAll(/data-recovery-code>([a-z2-7-]+)</g)].map((match) => match[1]!);
    expect(codes).toHaveLength(10);
    expect(codes.some((code) => person.recoveryCodes.includes(code))).toBe(false);
    expect((await signInWithCode(person, person.recoveryCodes[0]!)).posted.status).toBe(401);
    expect((await signInWithCode(person, codes[0]!)).posted.status).toBe(303);
  });
});
