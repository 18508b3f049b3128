/**
 * Step-up and re-authentication over HTTP (login/authorizer.ts): `acr_values` (OIDC Core
 * §3.1.2.1) on a password-only session of a person with an authenticator app presents the Code
 * page (no password again) and yields acr urn:inkan:acr:mfa; a person with no second factor is
 * signed in as they can be (voluntary: acr urn:inkan:acr:pwd); `phr` refuses a password sign-in
 * with the page's message; `prompt=none` with a step-up needed answers interaction_required;
 * `max_age` asks for the whole sign-in again and moves auth_time.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { createUser, csrfOf, HttpBrowser, movableClock } from '../../helpers/people.js';
import { recordTokenResponse } from '../../helpers/secrets.js';
import { alertOf, codeStep, enrolTotp, openAccount, passwordStep, throughConsent, totpCode } from './support.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const clock = movableClock();
let server: TestServer;
let client: RegisteredClient;
let config: oidc.Configuration;
let jwks: ReturnType<typeof createRemoteJWKSet>;

beforeAll(async () => {
  server = await startInkan({ core: { clock } });
  client = await registerClient(server, ['--name', 'Vault', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid email']);
  config = await oidc.discovery(new URL(server.issuer), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret!), { execute: [oidc.allowInsecureRequests] });
  jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
});
afterAll(async () => {
  await server.stop();
});

async function authorizationRequest(extra: Record<string, string> = {}) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  const idToken = async (callback: URL): Promise<JWTPayload> => {
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state });
    recordTokenResponse(tokens);
    return (await jwtVerify(tokens.id_token!, jwks, { issuer: server.issuer, audience: client.client_id })).payload;
  };
  return { url: url.href, idToken };
}

/**
 * A browser whose session is a password sign-in of a person who then set up an authenticator
 * app on the account page (the session itself stays password-only).
 */
async function passwordSessionWithApp(email: string, password = 'step-up-password-1') {
  await createUser(server, email, password);
  const browser = new HttpBrowser(server.issuer);
  const account = await openAccount(browser, email, password);
  const { secret } = await enrolTotp(browser, account, clock.nowSeconds());
  clock.advance(30);
  return { browser, secret, email, password };
}

describe('acr_values=urn:inkan:acr:mfa', () => {
  it('makes a password-only session present its second factor first, without the password, then issues acr urn:inkan:acr:mfa', async () => {
    const { browser, secret } = await passwordSessionWithApp('step-up@example.com');
    // Not asked for: the session's password sign-in is what the client gets.
    const plain = await authorizationRequest();
    const direct = await browser.request(plain.url);
    const plainClaims = await plain.idToken(await throughConsent(browser, direct));
    expect(plainClaims).toMatchObject({ amr: ['pwd'], acr: 'urn:inkan:acr:pwd' });

    const request = await authorizationRequest({ acr_values: 'urn:inkan:acr:mfa' });
    const start = await browser.request(request.url);
    expect(start.status).toBe(302);
    expect(start.location).toMatch(/^\/login\?ix=/);
    const page = await browser.request(start.location!);
    expect(page.body).toContain('<label for="code">Code</label>');
    expect(page.body).not.toContain('<label for="password">');
    const sessionBefore = browser.cookies.get('inkan_session');
    const posted = await codeStep(browser, start.location!, page, totpCode(secret, clock.nowSeconds()));
    expect(posted.status).toBe(303);
    expect(browser.cookies.get('inkan_session')).not.toBe(sessionBefore);
    const claims = await request.idToken(await throughConsent(browser, posted));
    expect(claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:inkan:acr:mfa', sid: plainClaims.sid });

    // The session is stepped up: the next request asking for it goes straight through.
    const again = await authorizationRequest({ acr_values: 'urn:inkan:acr:mfa' });
    const through = await browser.request(again.url);
    expect(new URL(through.location!).origin + new URL(through.location!).pathname).toBe(REDIRECT);
  });

  it('answers interaction_required to prompt=none when the session must step up', async () => {
    const { browser } = await passwordSessionWithApp('silent@example.com');
    const request = await authorizationRequest({ acr_values: 'urn:inkan:acr:mfa', prompt: 'none' });
    const answer = await browser.request(request.url);
    const location = new URL(answer.location!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('interaction_required');
  });

  it('signs in a person with no second factor as they can be: acr urn:inkan:acr:pwd, which the client may refuse', async () => {
    await createUser(server, 'no-factor@example.com', 'no-factor-password');
    const browser = new HttpBrowser(server.issuer);
    const request = await authorizationRequest({ acr_values: 'urn:inkan:acr:mfa' });
    const { answer } = await passwordStep(browser, request.url, 'no-factor@example.com', 'no-factor-password');
    expect(answer.status).toBe(303);
    expect(await request.idToken(await throughConsent(browser, answer))).toMatchObject({ amr: ['pwd'], acr: 'urn:inkan:acr:pwd' });
  });

  it('ignores acr values it does not know', async () => {
    await createUser(server, 'unknown-acr@example.com', 'unknown-acr-password');
    const browser = new HttpBrowser(server.issuer);
    const request = await authorizationRequest({ acr_values: 'urn:example:gold' });
    const { answer } = await passwordStep(browser, request.url, 'unknown-acr@example.com', 'unknown-acr-password');
    expect(await request.idToken(await throughConsent(browser, answer))).toMatchObject({ acr: 'urn:inkan:acr:pwd' });
  });
});

describe('acr_values=phr', () => {
  it('says on the sign-in page that a passkey is needed, and refuses a password sign-in with that message', async () => {
    const { email, password } = await passwordSessionWithApp('phr@example.com');
    const browser = new HttpBrowser(server.issuer);
    const request = await authorizationRequest({ acr_values: 'phr' });
    const start = await browser.request(request.url);
    const page = await browser.request(start.location!);
    expect(page.body).toContain('This application asks you to sign in with a passkey.');
    // No Code step first: nothing after a password reaches phr.
    const posted = await browser.request(start.location!, { form: { csrf: csrfOf(page.body), email, password } });
    expect(posted.status).toBe(403);
    expect(alertOf(posted.body)).toBe('This application asks you to sign in with a passkey. Use “Sign in with a passkey”.');
    expect(posted.body).not.toContain('<label for="code">');
    expect(browser.cookies.has('inkan_session')).toBe(false);
    // A session from a password (even with a code) does not reach phr either: back to the sign-in page.
    const stepped = await authorizationRequest({ acr_values: 'phr' });
    const { browser: withSession } = await passwordSessionWithApp('phr-session@example.com');
    expect((await withSession.request(stepped.url)).location).toMatch(/^\/login\?ix=/);
  });
});

describe('max_age', () => {
  it('asks for the whole sign-in again (password and code) when the session is older, and moves auth_time', async () => {
    const { browser, secret, email, password } = await passwordSessionWithApp('max-age@example.com');
    const first = await authorizationRequest({ acr_values: 'urn:inkan:acr:mfa' });
    const start = await browser.request(first.url);
    const page = await browser.request(start.location!);
    const stepped = await codeStep(browser, start.location!, page, totpCode(secret, clock.nowSeconds()));
    const before = await first.idToken(await throughConsent(browser, stepped));

    clock.advance(120);
    const fresh = await authorizationRequest({ max_age: '60' });
    const again = await browser.request(fresh.url);
    expect(again.location).toMatch(/^\/login\?ix=/);
    const login = await browser.request(again.location!);
    expect(login.body).toContain('<label for="password">Password</label>');
    const posted = await browser.request(again.location!, { form: { csrf: csrfOf(login.body), email, password } });
    expect(posted.body).toContain('<label for="code">Code</label>');
    const done = await codeStep(browser, again.location!, posted, totpCode(secret, clock.nowSeconds()));
    const after = await fresh.idToken(await throughConsent(browser, done));
    expect(after.auth_time).toBe(clock.nowSeconds());
    expect((after.auth_time as number) - (before.auth_time as number)).toBeGreaterThanOrEqual(120);
    expect(after).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:inkan:acr:mfa' });
    // Within max_age the session is enough.
    const within = await authorizationRequest({ max_age: '60' });
    const direct = await browser.request(within.url);
    expect(new URL(direct.location!).searchParams.get('code')).not.toBeNull();
  });
});
