/**
 * The operator console in a real browser (Debian's Chromium through playwright-core): the operator
 * opens /admin, signs in on Inkan's own page (code + PKCE with the `admin` scope) and lands on the
 * console; registers a client and sees its secret once, and that secret gets a client_credentials
 * token; disables a person, whose tokens stop working and whose next sign-in is refused; rotates
 * the signing keys, and the key list and the JWKS show the new keys; revokes an old key after
 * ticking its confirmation, and it leaves the JWKS. Confirmations (the console
 * script's `confirm()`) are accepted as an operator would. Screenshots go to
 * test-output/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT, startInkan, type TestServer } from '../../helpers/inkan.js';
import { clientCredentialsToken, registerClient } from '../../helpers/clients.js';
import { createUser, HttpBrowser, openidCodeFlow, redirectTarget, type RedirectTarget } from '../../helpers/people.js';
import { eventually } from '../../helpers/eventually.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: the browser tests must run in CI`);
  process.stderr.write(`\n!! ${CHROMIUM} not found: the console browser tests (test/flows/operations/console-browser.test.ts) are SKIPPED\n\n`);
}

const OPERATOR = { email: 'olive.operator@example.com', password: 'operator password 1' };
const PERSON = { email: 'paul.person@example.com', password: 'person password 12' };

describe.skipIf(!haveChromium)('the operator console in Chromium', { timeout: 90_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let rp: RedirectTarget;

  beforeAll(async () => {
    [server, browser, rp] = await Promise.all([
      // JWKS_MAX_AGE=1: the next keys may sign a few seconds after start, so a rotation need not wait.
      startInkan({ env: { ADMIN_API: 'on', ADMIN_OPERATORS: OPERATOR.email, JWKS_MAX_AGE: '1' } }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }),
      redirectTarget(),
    ]);
    await createUser(server, OPERATOR.email, OPERATOR.password, 'Olive');
    await createUser(server, PERSON.email, PERSON.password, 'Paul');
    context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    // The console script asks before destructive changes; the operator says yes.
    page.on('dialog', (dialog) => void dialog.accept());
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await rp?.close();
    await server?.stop();
  });

  async function screenshot(name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
  }

  it('signs the operator in through Inkan (code + PKCE) and lands on the console', async () => {
    await page.goto(`${server.issuer}/admin`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Email').fill(OPERATOR.email);
    await page.getByLabel('Password').fill(OPERATOR.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Operator console' }).waitFor();
    expect(page.url()).toBe(`${server.issuer}/admin`);
    expect(await page.locator('[data-operator]').textContent()).toBe(OPERATOR.email);
    const session = (await context.cookies(server.issuer)).find((cookie) => cookie.name === 'inkan_console_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    await screenshot('home');
  });

  it('registers a client, shows its secret once, and the client gets a client_credentials token with it', async () => {
    await page.getByRole('link', { name: 'Clients' }).first().click();
    await page.getByRole('heading', { name: 'Clients' }).waitFor();
    await page.getByLabel('Name').fill('Billing service');
    await page.getByLabel('Scope').fill('billing:read');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('heading', { name: 'Client registered' }).waitFor();
    await screenshot('client-created');
    const clientId = (await page.locator('[data-client-id]').textContent())!;
    const secret = (await page.locator('[data-client-secret]').textContent())!;
    expect(secret.length).toBeGreaterThan(20);

    const token = await clientCredentialsToken(server.issuer, { client_id: clientId, client_secret: secret });
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ client_id: clientId, sub: clientId, scope: 'billing:read' });

    // Shown once: the list has the client, never its secret.
    await page.goto(`${server.issuer}/admin/clients`);
    await expect(page.locator(`[data-client="${clientId}"]`).textContent()).resolves.toContain('Billing service');
    expect(await page.content()).not.toContain(secret);
    expect(await page.locator('[data-client-secret]').count()).toBe(0);
  });

  it('disables a person: their tokens stop working and their next sign-in is refused', async () => {
    const app = await registerClient(server, ['--name', 'Mail', '--grant-types', 'authorization_code', '--redirect-uris', rp.url, '--scope', 'openid email', '--auth-method', 'none']);
    const config = await oidc.discovery(new URL(server.issuer), app.client_id, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const tokens = await openidCodeFlow(config, new HttpBrowser(server.issuer), { redirectUri: rp.url, scope: 'openid email', email: PERSON.email, password: PERSON.password });
    const userinfo = () => fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await userinfo()).status).toBe(200);

    await page.goto(`${server.issuer}/admin/people`);
    await page.getByLabel('Find by email').fill('paul.person');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: `Disable ${PERSON.email}` }).click();
    await page.getByText(`${PERSON.email} disabled`).waitFor();
    await screenshot('person-disabled');
    expect(await page.locator(`[data-person="${PERSON.email}"]`).textContent()).toContain('disabled');

    expect((await userinfo()).status).toBe(401);
    const again = await context.browser()!.newContext();
    const other = await again.newPage();
    await other.goto(oidc.buildAuthorizationUrl(config, { redirect_uri: rp.url, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSwOrEcM', code_challenge_method: 'S256' }).href);
    await other.getByLabel('Email').fill(PERSON.email);
    await other.getByLabel('Password').fill(PERSON.password);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByRole('alert').waitFor();
    expect(new URL(other.url()).pathname).toBe('/login');
    await again.close();
  });

  it('rotates the signing keys: the key list changes and the JWKS has the new keys; a confirmed revocation removes one', async () => {
    await page.goto(`${server.issuer}/admin/keys`);
    const active = async () => page.locator('[data-status="active"]').evaluateAll((items) => items.map((item) => item.getAttribute('data-kid')!).sort());
    const before = await active();
    expect(before.length).toBeGreaterThanOrEqual(2); // one per signing algorithm
    // The next keys may sign once they have been published for JWKS_MAX_AGE (+3 s); until then the page says when.
    await eventually(async () => {
      await page.getByRole('button', { name: 'Rotate keys' }).click();
      await page.locator('#notice, #form-error').first().waitFor();
      return (await page.locator('#notice').count()) === 1;
    }, 30_000, 1000);
    await screenshot('keys-rotated');
    const after = await active();
    expect(after).toHaveLength(before.length);
    for (const kid of after) expect(before).not.toContain(kid);
    for (const kid of before) expect(await page.locator(`[data-kid="${kid}"]`).getAttribute('data-status')).toBe('retiring');
    const { jwks_uri } = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    const jwks = (await (await fetch(jwks_uri)).json()) as { keys: Array<{ kid: string }> };
    const published = jwks.keys.map((key) => key.kid);
    for (const kid of [...after, ...before]) expect(published).toContain(kid);

    // Revoking one of the retired keys: ticked and confirmed, it leaves the JWKS at once.
    const leaked = before[0]!;
    await page.getByLabel(`Yes, revoke ${leaked}`).check();
    await page.getByRole('button', { name: `Revoke ${leaked}` }).click();
    await page.getByText(`${leaked} is revoked`).waitFor();
    expect(await page.locator(`[data-kid="${leaked}"]`).getAttribute('data-status')).toBe('revoked');
    const publishedNow = async () => ((await (await fetch(jwks_uri)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
    await expect.poll(publishedNow, { timeout: 10_000, interval: 200 }).not.toContain(leaked);
  });
});
