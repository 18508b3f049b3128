/**
 * Passkeys end to end in Chromium (playwright-core) with the DevTools protocol's virtual
 * authenticator (ctap2, internal, resident keys, user verification), on an issuer at `localhost`
 * (an RP ID cannot be an IP address; the server binds 127.0.0.1):
 *  - a person signs in with a password on /account and adds a passkey (`Add a passkey`); in a new
 *    browser holding that passkey, the sign-in page's `Sign in with a passkey` alone completes an
 *    openid-client authorization-code + PKCE flow; the ID token, verified with the JWKS (jose
 *    createRemoteJWKSet), has `amr` with `hwk` and `user` and no `pwd`, and `acr` `phr`;
 *  - the credential copied into a third browser with a lower signature counter (a clone) is refused,
 *    audited and counted, while the original keeps working;
 *  - two passkeys, one renamed and one removed: the removed one cannot sign in, the other can;
 *  - a disabled person cannot sign in with a passkey.
 * Screenshots of the sign-in and account pages at phone and desktop widths go to
 * test-output/screenshots/. The HTTP-level refusals (a challenge reused or expired) are in
 * sign-in-http.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { ROOT, startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient } from '../../helpers/clients.js';
import { createUser, redirectTarget, type RedirectTarget } from '../../helpers/people.js';
import { LogLines, sample, scrape } from '../../helpers/operations.js';
import { recordSecrets, recordTokenResponse } from '../../helpers/secrets.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: the browser tests must run in CI`);
  process.stderr.write(`\n!! ${CHROMIUM} not found: the passkey browser tests (test/flows/passkeys/browser.test.ts) are SKIPPED\n\n`);
}

/** A browser context with a virtual authenticator of its own. */
interface Device {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly cdp: CDPSession;
  authenticatorId: string;
}

interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

// Each test drives several pages in Chromium; on a loaded 2-core machine that takes a while.
describe.skipIf(!haveChromium)('passkeys in Chromium with a virtual authenticator', { timeout: 120_000 }, () => {
  const logs = new LogLines();
  let server: TestServer;
  let browser: Browser;
  let rp: RedirectTarget;
  let config: oidc.Configuration;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  const devices: Device[] = [];

  beforeAll(async () => {
    [server, browser, rp] = await Promise.all([
      startInkan({ issuerHost: 'localhost', onLog: logs.collect }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }),
      redirectTarget(),
    ]);
    const client = await registerClient(server, ['--name', 'Analytical Engine', '--grant-types', 'authorization_code', '--redirect-uris', rp.url, '--scope', 'openid email', '--auth-method', 'none']);
    config = await oidc.discovery(new URL(server.issuer), client.client_id, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    for (const device of devices) await device.context.close();
    await browser?.close();
    await rp?.close();
    await server?.stop();
  });

  async function newAuthenticator(cdp: CDPSession): Promise<string> {
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    return authenticatorId;
  }

  async function newDevice(): Promise<Device> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const device = { context, page, cdp, authenticatorId: await newAuthenticator(cdp) };
    devices.push(device);
    return device;
  }

  async function credentials(device: Device): Promise<VirtualCredential[]> {
    return (await device.cdp.send('WebAuthn.getCredentials', { authenticatorId: device.authenticatorId })).credentials as VirtualCredential[];
  }

  /** A new browser holding `credential` (as it is, or with another counter). */
  async function deviceWith(credential: VirtualCredential, signCount = credential.signCount): Promise<Device> {
    const device = await newDevice();
    await device.cdp.send('WebAuthn.addCredential', { authenticatorId: device.authenticatorId, credential: { ...credential, signCount } });
    return device;
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
    }
  }

  /** /account: signed in with the password first (the sign-in page, then back). */
  async function openAccount(device: Device, email: string, password: string): Promise<void> {
    await device.page.goto(`${server.issuer}/account`);
    await device.page.getByLabel('Email').fill(email);
    await device.page.getByLabel('Password').fill(password);
    await device.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await device.page.getByRole('heading', { name: 'Your account' }).waitFor();
  }

  async function addPasskey(device: Device, name: string): Promise<void> {
    await device.page.getByLabel('Passkey name').fill(name);
    await device.page.getByRole('button', { name: 'Add a passkey' }).click();
    await device.page.locator('[data-passkey-id]', { hasText: name }).waitFor();
  }

  async function authorizationRequest(prompt?: 'login') {
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
      ...(prompt === undefined ? {} : { prompt }),
    });
    return { url, codeVerifier, state, nonce };
  }

  /**
   * The sign-in page of a new authorization request, then `Sign in with a passkey`; `prompt=login`
   * for a browser that has a session already (the page is shown all the same).
   */
  async function startPasskeySignIn(device: Device, screenshotName?: string, prompt?: 'login') {
    const request = await authorizationRequest(prompt);
    await device.page.goto(request.url.href);
    const button = device.page.getByRole('button', { name: 'Sign in with a passkey' });
    await button.waitFor();
    if (screenshotName !== undefined) await screenshot(device.page, screenshotName);
    await button.click();
    return request;
  }

  /** A passkey sign-in through to the relying party: the code exchanged, the ID token verified with the JWKS. */
  async function passkeySignIn(device: Device, options: { screenshot?: string; prompt?: 'login' } = {}): Promise<JWTPayload> {
    const request = await startPasskeySignIn(device, options.screenshot, options.prompt);
    const allow = device.page.getByRole('button', { name: 'Allow' });
    await Promise.race([allow.waitFor(), device.page.waitForURL((url) => url.href.startsWith(rp.url))]);
    if (!device.page.url().startsWith(rp.url)) {
      await allow.click();
      await device.page.waitForURL((url) => url.href.startsWith(rp.url));
    }
    const callback = new URL(device.page.url());
    recordSecrets(callback.searchParams.get('code'));
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });
    recordTokenResponse(tokens);
    const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer: server.issuer, audience: config.clientMetadata().client_id });
    return payload;
  }

  /** A passkey sign-in that the page refuses: the alert's text. */
  async function refusedSignIn(device: Device, prompt?: 'login'): Promise<string> {
    const hits = rp.hits.length;
    await startPasskeySignIn(device, undefined, prompt);
    const alert = device.page.getByRole('alert');
    await alert.waitFor();
    expect(new URL(device.page.url()).pathname).toBe('/login/passkey');
    expect(rp.hits.length).toBe(hits);
    return (await alert.textContent()) ?? '';
  }

  let ada: { id: string; email: string };
  let laptop: Device;

  it('enrols a passkey on /account and signs in with it alone: amr hwk and user, no pwd, acr phr', async () => {
    ada = await createUser(server, 'ada@example.com', 'correct horse battery staple', 'Ada Lovelace');
    const enrolling = await newDevice();
    await openAccount(enrolling, 'ada@example.com', 'correct horse battery staple');
    await addPasskey(enrolling, 'Laptop');
    await screenshot(enrolling.page, 'account-passkeys');
    expect(logs.audit('passkey.added').at(-1)).toMatchObject({ sub: ada.id, backup_eligible: false, actor: 'user' });
    const [credential] = await credentials(enrolling);
    expect(credential).toMatchObject({ isResidentCredential: true, rpId: 'localhost', userHandle: Buffer.from(ada.id).toString('base64') });

    // Another browser that holds the passkey and nothing else: no session, no email, no password.
    laptop = await deviceWith(credential!);
    const claims = await passkeySignIn(laptop, { screenshot: 'login-passkey' });
    expect(claims.sub).toBe(ada.id);
    expect(claims.amr).toEqual(['hwk', 'user']);
    expect(claims.amr).not.toContain('pwd');
    expect(claims.acr).toBe('phr');
    expect(logs.audit('passkey.used').at(-1)).toMatchObject({ sub: ada.id, synced: false, client_id: config.clientMetadata().client_id });
  });

  it('refuses a cloned credential whose signature counter is lower, audits and counts it; the original keeps working', async () => {
    const before = sample(await scrape(server), 'inkan_passkey_ceremonies_total', { ceremony: 'authentication', outcome: 'cloned' })!;
    const [original] = await credentials(laptop);
    expect(original!.signCount).toBeGreaterThan(0);
    const clone = await deviceWith(original!, 0);
    expect(await refusedSignIn(clone)).toContain('This passkey was refused because it may have been copied.');
    expect(sample(await scrape(server), 'inkan_passkey_ceremonies_total', { ceremony: 'authentication', outcome: 'cloned' })).toBe(before + 1);
    expect(logs.audit('passkey.failed').at(-1)).toMatchObject({ ceremony: 'authentication', reason: 'cloned', sub: ada.id });
    // The laptop has a session by now: prompt=login shows the sign-in page all the same.
    expect((await passkeySignIn(laptop, { prompt: 'login' })).sub).toBe(ada.id);
  });

  it('holds two passkeys, renames one and removes the other: the removed one cannot sign in', async () => {
    const grace = await createUser(server, 'grace@example.com', 'another long passphrase', 'Grace Hopper');
    const device = await newDevice();
    await openAccount(device, 'grace@example.com', 'another long passphrase');
    await addPasskey(device, 'Laptop');
    const [laptopKey] = await credentials(device);
    // A second authenticator for the second passkey (the first one is excluded from holding two).
    await device.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: device.authenticatorId });
    device.authenticatorId = await newAuthenticator(device.cdp);
    await addPasskey(device, 'Phone');
    const [phoneKey] = await credentials(device);
    expect(await device.page.locator('[data-passkey-id]').count()).toBe(2);

    await device.page.getByLabel('New name for Phone').fill('Work phone');
    await device.page.getByRole('button', { name: 'Rename passkey Phone' }).click();
    await device.page.locator('[data-passkey-id]', { hasText: 'Work phone' }).waitFor();
    await device.page.getByRole('button', { name: 'Remove passkey Laptop' }).click();
    await expect.poll(() => device.page.locator('[data-passkey-id]').count()).toBe(1);
    await screenshot(device.page, 'account-passkeys-renamed');
    expect(logs.audit('passkey.renamed').at(-1)).toMatchObject({ sub: grace.id });
    expect(logs.audit('passkey.removed').at(-1)).toMatchObject({ sub: grace.id });

    expect(await refusedSignIn(await deviceWith(laptopKey!))).toContain('This passkey is not registered with Inkan. It may have been removed.');
    expect((await passkeySignIn(await deviceWith(phoneKey!))).sub).toBe(grace.id);
  });

  it('signs no disabled person in', async () => {
    const disabled = await server.cli(['users', 'disable', '--email', 'ada@example.com']);
    expect(disabled.code).toBe(0);
    expect(await refusedSignIn(laptop, 'login')).toContain('This account is disabled.');
    expect(logs.audit('passkey.failed').at(-1)).toMatchObject({ reason: 'disabled', sub: ada.id });
  });
});
