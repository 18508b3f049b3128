/**
 * The device authorization grant end to end as its users meet it: openid-client's device flow
 * (`initiateDeviceAuthorization`, `pollDeviceAuthorizationGrant`) is the device, and the person
 * approves in a real browser (Debian's Chromium through playwright-core): opens verification_uri,
 * types the code in the field labelled Code, presses Continue, signs in, presses Allow, and is told
 * to return to the device. The tokens are checked like a relying party checks them (the JWKS
 * only), and logging the person out everywhere revokes the device's tokens and refresh family.
 * The verification_uri_complete path with Deny ends the device's polling with access_denied.
 * Screenshots of the pages at phone and desktop widths go to test-output/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient } from '../../helpers/clients.js';
import { createUser } from '../../helpers/people.js';
import { recordSecrets, recordTokenResponse } from '../../helpers/secrets.js';
import { DEVICE_GRANT, discovery } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: the browser tests must run in CI`);
  process.stderr.write(`\n!! ${CHROMIUM} not found: the device browser tests (test/flows/device/device-browser.test.ts) are SKIPPED\n\n`);
}

const PASSWORD = 'an entirely memorable passphrase';

describe.skipIf(!haveChromium)('the device flow with openid-client, approved in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let user: { id: string; email: string };
  let config: oidc.Configuration;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startInkan(),
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }),
    ]);
    user = await createUser(server, 'katherine@example.com', PASSWORD, 'Katherine Johnson');
    const client = await registerClient(server, [
      '--name', 'Orbit CLI', '--grant-types', `${DEVICE_GRANT},refresh_token`, '--scope', 'openid profile offline_access', '--auth-method', 'none',
    ]);
    config = await oidc.discovery(new URL(server.issuer), client.client_id, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function screenshot(page: Page, name: string): Promise<void> {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
    }
  }

  async function signIn(page: Page): Promise<void> {
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('signs the device in once the person types the code, signs in and allows; logout revokes it', async () => {
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
    recordSecrets(started.device_code, started.user_code);
    const polling = oidc.pollDeviceAuthorizationGrant(config, started);

    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(started.verification_uri);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(await page.getByLabel('Code').inputValue()).toBe('');
    await screenshot(page, 'device-code');
    // Typed as a person might: lower case, no dash.
    await page.getByLabel('Code').fill(started.user_code.replace('-', '').toLowerCase());
    await page.getByRole('button', { name: 'Continue' }).click();
    await signIn(page);
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.textContent('main')).toContain('Orbit CLI');
    expect(await page.textContent('main')).toContain('You are signing in on another device.');
    await screenshot(page, 'device-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByText('You can return to your device.').waitFor();
    await screenshot(page, 'device-done');
    await context.close();

    const tokens = await polling;
    recordTokenResponse(tokens);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.claims()).toMatchObject({ iss: server.issuer, sub: user.id, aud: config.clientMetadata().client_id, name: 'Katherine Johnson' });
    const jwks = createRemoteJWKSet(new URL((await discovery(server)).jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, audience: server.issuer, typ: 'at+jwt' });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ sub: user.id, client_id: config.clientMetadata().client_id, scope: 'openid profile offline_access' });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, user.id)).toMatchObject({ sub: user.id, name: 'Katherine Johnson' });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    // The person logs out everywhere: the device's access token and refresh family end too.
    const revoked = await server.cli(['tokens', 'revoke', '--email', user.email]);
    expect(revoked.code).toBe(0);
    await expect(oidc.fetchUserInfo(config, tokens.access_token, user.id)).rejects.toMatchObject({ status: 401 });
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('ends the polling with access_denied when the person, arriving by verification_uri_complete, presses Deny', async () => {
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    recordSecrets(started.device_code, started.user_code);
    // Settled into a value at once: the polling may end while the page is still being driven.
    const polling = oidc.pollDeviceAuthorizationGrant(config, started).then(
      () => ({ error: 'none: tokens were issued' }),
      (error: unknown) => error,
    );
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(started.verification_uri_complete!);
    expect(await page.getByLabel('Code').inputValue()).toBe(started.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await signIn(page);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByText('You denied access.').waitFor();
    await context.close();
    expect(await polling).toMatchObject({ error: 'access_denied', error_description: 'the person denied the request' });
  });
});
