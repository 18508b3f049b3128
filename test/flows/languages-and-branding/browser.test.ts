/**
 * Languages and branding in a real browser (Debian's Chromium through playwright-core): a person
 * whose browser prefers Japanese signs in to a client that asked for `ui_locales=de`, so every page
 * is German; the operator's accent colour reaches the buttons through the stylesheet under the CSP
 * nonce (no CSP violation on any page), and the person's labels are found by their German names.
 * Screenshots of the Japanese and German pages go to test-output/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { authorizeUrl, createUser, PKCE_CHALLENGE, redirectTarget, type RedirectTarget } from '../../helpers/people.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: the browser tests must run in CI`);
  process.stderr.write(`\n!! ${CHROMIUM} not found: the browser tests (test/flows/languages-and-branding/browser.test.ts) are SKIPPED\n\n`);
}

describe.skipIf(!haveChromium)('languages and branding in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let rp: RedirectTarget;
  let client: RegisteredClient;

  beforeAll(async () => {
    [server, browser, rp] = await Promise.all([
      startInkan({ env: { BRAND_NAME: 'Acme', BRAND_ACCENT_COLOR: '#1a5fb4' } }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }),
      redirectTarget(),
    ]);
    await createUser(server, 'grete@example.com', 'grete-password-1');
    client = await registerClient(server, ['--name', 'Notizen', '--grant-types', 'authorization_code', '--redirect-uris', rp.url, '--scope', 'openid email', '--auth-method', 'none']);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await rp?.close();
    await server?.stop();
  });

  /** A page that records every CSP violation the browser reports. */
  async function watchedPage(locale: string): Promise<{ page: Page; violations: string[] }> {
    const context = await browser.newContext({ locale, extraHTTPHeaders: { 'accept-language': locale } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    return { page, violations };
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
    }
  }

  // Run in the page; the tests compile without the DOM's types, hence the window's shape spelt out.
  type PageWindow = { getComputedStyle(element: unknown): { backgroundColor: string } };
  const accentOf = (page: Page, name: string) =>
    page.getByRole('button', { name, exact: true }).evaluate((button) => (globalThis as unknown as PageWindow).getComputedStyle(button).backgroundColor);

  it('signs in through German pages (ui_locales=de) in a Japanese browser, in the accent colour', async () => {
    const { page, violations } = await watchedPage('ja-JP');
    const url = authorizeUrl(server.issuer, { client_id: client.client_id, redirect_uri: rp.url, response_type: 'code', scope: 'openid email', state: 'st', ui_locales: 'de', ...PKCE_CHALLENGE });
    expect((await page.goto(url))?.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    expect(await page.title()).toBe('Anmelden · Acme');
    expect(await accentOf(page, 'Anmelden')).toBe('rgb(26, 95, 180)');
    await screenshot(page, 'sign-in-de-branded');
    await page.getByLabel('E-Mail-Adresse').fill('grete@example.com');
    await page.getByLabel('Passwort').fill('grete-password-1');
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await page.waitForURL(/\/consent\?/);
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await expect(page.getByRole('heading', { name: 'Zugriff erlauben?' }).isVisible()).resolves.toBe(true);
    expect(await accentOf(page, 'Erlauben')).toBe('rgb(26, 95, 180)');
    await screenshot(page, 'consent-de-branded');
    await Promise.all([page.waitForRequest((request) => request.url().startsWith(rp.url)), page.getByRole('button', { name: 'Erlauben', exact: true }).click()]);
    expect(violations).toEqual([]);
  });

  it('shows the sign-in page in Japanese for a Japanese browser', async () => {
    const { page, violations } = await watchedPage('ja-JP');
    const url = authorizeUrl(server.issuer, { client_id: client.client_id, redirect_uri: rp.url, response_type: 'code', scope: 'openid email', state: 'st', ...PKCE_CHALLENGE });
    expect((await page.goto(url))?.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    await expect(page.getByLabel('メールアドレス').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'サインイン', exact: true }).isVisible()).resolves.toBe(true);
    await screenshot(page, 'sign-in-ja-branded');
    expect(violations).toEqual([]);
  });
});
