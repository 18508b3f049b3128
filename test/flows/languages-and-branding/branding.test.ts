/**
 * The operator's brand on every page (BRAND_NAME, BRAND_LOGO_URL, BRAND_ACCENT_COLOR) and the
 * client's `client_name` and `logo_uri` on consent, over HTTP: escaped, the logos' origins in the
 * CSP's img-src and nothing else loosened (no script on a page without passkeys, the stylesheet
 * under the nonce); `--logo-uri` and `logo_uri` refused unless https; a bad accent colour stops
 * start-up with one line.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startInkan, testEnv, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { clientToken } from '../../helpers/operations.js';
import { authorizeUrl, createUser, csrfOf, HttpBrowser, PKCE_CHALLENGE } from '../../helpers/people.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const HOSTILE_NAME = '<script>alert("owned")</script> Notes & Co';
let server: TestServer;
let client: RegisteredClient;

beforeAll(async () => {
  server = await startInkan({
    env: { BRAND_NAME: 'Acme <Corp>', BRAND_LOGO_URL: 'https://cdn.acme.example/brand/logo.svg', BRAND_ACCENT_COLOR: '#1A5FB4', ADMIN_API: 'on' },
  });
  client = await registerClient(server, [
    '--name', HOSTILE_NAME, '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid email',
    '--logo-uri', 'https://apps.example/notes/logo.png?size=96',
  ]);
  await createUser(server, 'brand@example.com', 'brand-password-1');
});
afterAll(async () => {
  await server.stop();
});

/** Opens the sign-in page, signs in, and opens the consent page. */
async function signInToConsent() {
  const browser = new HttpBrowser(server.issuer);
  const start = await browser.request(authorizeUrl(server.issuer, { client_id: client.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email', state: 's', ...PKCE_CHALLENGE }));
  const login = await browser.request(start.location!);
  const posted = await browser.request(start.location!, { form: { csrf: csrfOf(login.body), email: 'brand@example.com', password: 'brand-password-1' } });
  expect(posted.location).toMatch(/^\/consent\?/);
  const consent = await browser.request(posted.location!);
  expect(consent.status).toBe(200);
  return { login, consent };
}

const imgSrcOf = (csp: string) => csp.split('; ').find((directive) => directive.startsWith('img-src '));

function expectBrand(page: { body: string; headers: Headers }, title: string): void {
  expect(page.body).toContain(`<title>${title} · Acme &lt;Corp&gt;</title>`);
  expect(page.body).toContain('<img src="https://cdn.acme.example/brand/logo.svg" alt="" data-brand-logo><span data-brand-name>Acme &lt;Corp&gt;</span>');
  // The accent colour, in the one stylesheet under the page's nonce; the buttons use it through --accent.
  const nonce = /style-src 'nonce-([^']+)'/.exec(page.headers.get('content-security-policy')!)![1]!;
  const style = new RegExp(`<style nonce="${nonce.replace(/[+/=]/g, (char) => `\\${char}`)}">([^<]*)</style>`).exec(page.body)![1]!;
  expect(style).toContain(':root { --accent: #1a5fb4; --accent-hover: color-mix(in srgb, #1a5fb4 82%, #000); --accent-text: #ffffff; }');
  expect(style).toContain('background: var(--accent)');
  expect(page.body.match(/<style/g)).toHaveLength(1);
}

describe('the brand', () => {
  it('is on the sign-in page: title, header, logo and accent colour, the logo origin in img-src', async () => {
    const { login } = await signInToConsent();
    expectBrand(login, 'Sign in');
    const csp = login.headers.get('content-security-policy')!;
    expect(imgSrcOf(csp)).toBe("img-src 'self' data: https://cdn.acme.example");
    expect(csp).not.toMatch(/script-src/);
    expect(login.body).not.toMatch(/<script\b/);
  });

  it('is on the consent page, with the client name (escaped) and its logo', async () => {
    const { consent } = await signInToConsent();
    expectBrand(consent, 'Allow access');
    expect(imgSrcOf(consent.headers.get('content-security-policy')!)).toBe("img-src 'self' data: https://cdn.acme.example https://apps.example");
    expect(consent.body).toContain('<strong data-client-name>&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; Notes &amp; Co</strong> would like to:');
    expect(consent.body).toContain(
      '<img class="client-logo" src="https://apps.example/notes/logo.png?size=96" alt="Logo of &lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; Notes &amp; Co" data-client-logo>',
    );
    expect(consent.body).not.toContain('<script>alert');
    expect(consent.body).not.toMatch(/<script\b/);
  });

  it('is on the error pages and the signed-out page, the seal replaced by the logo', async () => {
    const browser = new HttpBrowser(server.issuer);
    const error = await browser.request('/login?ix=gone');
    expect(error.status).toBe(400);
    expectBrand(error, 'Error');
    const signedOut = await browser.request('/end-session');
    expectBrand(signedOut, 'Signed out');
    expect(signedOut.body).not.toContain('<svg');
  });

  it('leaves a consent page without a client logo free of client images', async () => {
    const plain = await registerClient(server, ['--name', 'Plain', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid']);
    const browser = new HttpBrowser(server.issuer);
    const start = await browser.request(authorizeUrl(server.issuer, { client_id: plain.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's', ...PKCE_CHALLENGE }));
    const login = await browser.request(start.location!);
    const posted = await browser.request(start.location!, { form: { csrf: csrfOf(login.body), email: 'brand@example.com', password: 'brand-password-1' } });
    const consent = await browser.request(posted.location!);
    expect(consent.body).toContain('<strong data-client-name>Plain</strong>');
    expect(consent.body).not.toContain('data-client-logo');
    expect(imgSrcOf(consent.headers.get('content-security-policy')!)).toBe("img-src 'self' data: https://cdn.acme.example");
  });
});

describe('a client logo_uri', () => {
  it('is listed by clients list', async () => {
    const listed = JSON.parse((await server.cli(['clients', 'list'])).stdout) as Array<Record<string, unknown>>;
    expect(listed.find((entry) => entry.client_id === client.client_id)?.logo_uri).toBe('https://apps.example/notes/logo.png?size=96');
  });

  it.each([
    ['http://apps.example/logo.png', '--logo-uri must be an https URL'],
    ['javascript:alert(1)', '--logo-uri must be an https URL'],
    ['logo.png', '--logo-uri "logo.png" is not an absolute URL'],
    ['https://user:pw@apps.example/logo.png', '--logo-uri must have no credentials and no fragment'],
    ['https://apps.example/logo.png#x', '--logo-uri must have no credentials and no fragment'],
  ])('refuses --logo-uri %s with one line', async (uri, message) => {
    const result = await server.cli(['clients', 'create', '--name', 'Bad logo', '--logo-uri', uri]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`inkan: ${message}\n`);
  });

  it('is registered and refused the same way through the admin API', async () => {
    const admin = await registerClient(server, ['--name', 'ops', '--scope', 'admin']);
    const token = (await clientToken(server, admin, 'admin')).access_token;
    const post = (json: unknown) =>
      fetch(`${server.issuer}/admin/v1/clients`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(json) });
    const created = await post({ name: 'Admin app', logo_uri: 'https://apps.example/admin.png' });
    expect(created.status).toBe(201);
    const { client_id } = (await created.json()) as { client_id: string };
    const listed = (await (await fetch(`${server.issuer}/admin/v1/clients`, { headers: { authorization: `Bearer ${token}` } })).json()) as Array<Record<string, unknown>>;
    expect(listed.find((entry) => entry.client_id === client_id)?.logo_uri).toBe('https://apps.example/admin.png');
    const refused = await post({ name: 'Admin app', logo_uri: 'http://apps.example/admin.png' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error_description: string }).error_description).toBe('--logo-uri must be an https URL');
    const openapi = (await (await fetch(`${server.issuer}/admin/v1/openapi.json`, { headers: { authorization: `Bearer ${token}` } })).json()) as any;
    expect(openapi.components.schemas.NewClient.properties.logo_uri).toMatchObject({ type: 'string', format: 'uri', pattern: '^https://' });
  });
});

it('refuses to start with an invalid BRAND_ACCENT_COLOR, saying why in one line', async () => {
  const env = testEnv({ BRAND_ACCENT_COLOR: 'tomato' });
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], { cwd: env.dir, env: { PATH: process.env.PATH ?? '', ...env.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(2);
  expect(stderr).toBe('inkan: BRAND_ACCENT_COLOR must be a CSS hex colour like #1a5fb4 or #15b, got "tomato"\n');
});
