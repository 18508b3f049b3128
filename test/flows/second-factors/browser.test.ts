/**
 * Second factors end to end in a real browser (Debian's Chromium through playwright-core): a
 * person signs in to the account page with a password, sets up an authenticator app from the
 * secret the page shows (the codes computed here from it, as an app would), and sees 10 recovery
 * codes; then openid-client runs an authorization-code flow whose sign-in asks for the Code after
 * the password, a wrong code shows the page's message, and the ID token (verified with jose and
 * the JWKS from discovery) has amr pwd, otp, mfa and acr urn:inkan:acr:mfa. Screenshots of the
 * account page, the set-up, the recovery codes and the Code page at phone and desktop widths go
 * to test-output/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient } from '../../helpers/clients.js';
import { ROOT, startInkan, type TestServer } from '../../helpers/inkan.js';
import { createUser, redirectTarget, type RedirectTarget } from '../../helpers/people.js';
import { recordSecrets, recordTokenResponse } from '../../helpers/secrets.js';
import { totpCode } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: the browser tests must run in CI`);
  process.stderr.write(`\n!! ${CHROMIUM} not found: the browser tests (test/flows/second-factors/browser.test.ts) are SKIPPED\n\n`);
}

describe.skipIf(!haveChromium)('an authenticator app in Chromium, with openid-client', () => {
  let server: TestServer;
  let browser: Browser;
  let rp: RedirectTarget;
  let config: oidc.Configuration;

  beforeAll(async () => {
    [server, browser, rp] = await Promise.all([
      startInkan(),
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }),
      redirectTarget(),
    ]);
    await createUser(server, 'grace.hopper@example.com', 'a ship in port is safe', 'Grace Hopper');
    const client = await registerClient(server, [
      '--name', 'Compiler', '--grant-types', 'authorization_code', '--redirect-uris', rp.url, '--scope', 'openid email', '--auth-method', 'none',
    ]);
    config = await oidc.discovery(new URL(server.issuer), client.client_id, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await rp?.close();
    await server?.stop();
  });

  async function screenshot(page: Page, name: string): Promise<void> {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
    }
  }

  const nowSeconds = () => Math.floor(Date.now() / 1000);
  let secret: string;

  it('sets up an authenticator app on the account page and shows 10 recovery codes', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.issuer}/account`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Email').fill('grace.hopper@example.com');
    await page.getByLabel('Password').fill('a ship in port is safe');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/account');
    await screenshot(page, 'account');

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secretText = (await page.locator('[data-totp-secret]').textContent())!;
    secret = secretText.trim();
    recordSecrets(secret);
    const uri = await page.locator('[data-totp-uri]').getAttribute('href');
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(uri!).searchParams.get('secret')).toBe(secret);
    await expect.poll(() => page.getByRole('img', { name: 'Scannable key for your authenticator app' }).count()).toBe(1);
    await screenshot(page, 'account-totp-setup');

    await page.getByLabel('Code').fill(totpCode(secret, nowSeconds() + 600));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not correct');

    await page.getByLabel('Code').fill(totpCode(secret, nowSeconds()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('[data-recovery-code]').first().waitFor();
    const codes = await page.locator('[data-recovery-code]').allTextContents();
    recordSecrets(...codes);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await screenshot(page, 'account-recovery-codes');
    await context.close();
  });

  it('asks for the Code after the password, refuses a wrong one on the page, and yields amr pwd otp mfa', async () => {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: rp.url,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url.href);
    await page.getByLabel('Email').fill('grace.hopper@example.com');
    await page.getByLabel('Password').fill('a ship in port is safe');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Verify' }).waitFor();
    expect((await context.cookies(server.issuer)).some((cookie) => cookie.name === 'inkan_session')).toBe(false);
    await screenshot(page, 'login-code');

    await page.getByLabel('Code').fill(totpCode(secret, nowSeconds() + 600));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('That code is not correct. Try again.');
    await screenshot(page, 'login-code-error');

    // The next step's code: the enrolment spent this one's (each code is accepted once; one step of skew is allowed).
    await page.getByLabel('Code').fill(totpCode(secret, nowSeconds() + 30));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((target) => target.href.startsWith(rp.url));

    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    recordTokenResponse(tokens);
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer: server.issuer, audience: config.clientMetadata().client_id });
    expect(payload.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(payload.acr).toBe('urn:inkan:acr:mfa');
    await context.close();
  });
});
