/**
 * The people promise end to end in a real browser (Debian's Chromium through playwright-core):
 * openid-client builds the authorization URL with PKCE, state and nonce; the person signs in on
 * Inkan's page and allows access; openid-client exchanges the code, validates the ID token and
 * reads userinfo. A wrong password shows an error on the page and yields no code. Screenshots of
 * the pages at phone and desktop widths go to test-output/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient } from '../../helpers/clients.js';
import { createUser, redirectTarget, type RedirectTarget } from '../../helpers/people.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: the browser tests must run in CI`);
  process.stderr.write(`\n!! ${CHROMIUM} not found: the browser tests (test/flows/people/browser.test.ts) are SKIPPED\n\n`);
}

describe.skipIf(!haveChromium)('sign-in in Chromium with openid-client', () => {
  let server: TestServer;
  let browser: Browser;
  let rp: RedirectTarget;
  let user: { id: string; email: string };
  let config: oidc.Configuration;

  beforeAll(async () => {
    [server, browser, rp] = await Promise.all([
      startInkan(),
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }),
      redirectTarget(),
    ]);
    user = await createUser(server, 'Ada.Lovelace@example.com', 'correct horse battery staple', 'Ada Lovelace');
    const client = await registerClient(server, [
      '--name', 'Analytical Engine', '--grant-types', 'authorization_code', '--redirect-uris', rp.url,
      '--scope', 'openid profile email', '--auth-method', 'none',
    ]);
    config = await oidc.discovery(new URL(server.issuer), client.client_id, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await rp?.close();
    await server?.stop();
  });

  async function authorizationRequest() {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: rp.url,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, codeVerifier, state, nonce };
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
    }
  }

  it('signs in, consents, and hands openid-client a valid ID token and userinfo', async () => {
    const request = await authorizationRequest();
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(request.url.href);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response?.headers()['x-frame-options']).toBe('DENY');
    expect(response?.headers()['x-content-type-options']).toBe('nosniff');
    await screenshot(page, 'login');

    await page.getByLabel('Email').fill('ada.lovelace@EXAMPLE.com');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await screenshot(page, 'consent');
    const cookies = await context.cookies(server.issuer);
    const session = cookies.find((cookie) => cookie.name === 'inkan_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(rp.url));

    const callback = new URL(page.url());
    expect(callback.searchParams.get('iss')).toBe(server.issuer);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });
    expect(tokens.token_type).toBe('bearer');
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: server.issuer,
      sub: user.id,
      aud: config.clientMetadata().client_id,
      nonce: request.nonce,
      name: 'Ada Lovelace',
      email: 'Ada.Lovelace@example.com',
      email_verified: false,
    });
    expect(claims.sid).toEqual(expect.any(String));
    expect(claims.at_hash).toEqual(expect.any(String));
    expect(typeof claims.auth_time).toBe('number');

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(userinfo).toEqual({ sub: user.id, name: 'Ada Lovelace', email: 'Ada.Lovelace@example.com', email_verified: false });

    // Consent is remembered: the next request from the same browser goes straight back with a code.
    const again = await authorizationRequest();
    await page.goto(again.url.href);
    await page.waitForURL((url) => url.href.startsWith(rp.url));
    expect(new URL(page.url()).searchParams.get('code')).toEqual(expect.any(String));
    await context.close();
  });

  it('shows an error for a wrong password and sends no code', async () => {
    const request = await authorizationRequest();
    const hitsBefore = rp.hits.length;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(request.url.href);
    await page.getByLabel('Email').fill('ada.lovelace@example.com');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not correct');
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'login-error');
    expect(rp.hits.length).toBe(hitsBefore);
    await context.close();
  });
});
