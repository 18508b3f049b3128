/**
 * An issuer with a path (`https://example.com/idp`, behind a reverse proxy that strips `/idp`):
 * discovery names every endpoint under it, and the browser is sent to the login page and posts
 * its forms under it too, never to a root-relative path the proxy does not route to Inkan; the
 * Shared Signals configuration is at `/.well-known/ssf-configuration/idp`.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../../helpers/postgres-server.js';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { authorizeUrl, HttpBrowser } from '../../helpers/people.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
let server: TestServer;
let spa: RegisteredClient;
let publicIssuer: string;

beforeAll(async () => {
  const port = await freePort();
  publicIssuer = `http://127.0.0.1:${port}/idp`;
  server = await startInkan({ env: { PORT: String(port), ISSUER: publicIssuer } });
  spa = await registerClient(server, ['--name', 'SPA', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid', '--auth-method', 'none']);
});
afterAll(async () => {
  await server.stop();
});

it('keeps the issuer path in discovery, redirects and form actions', async () => {
  const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  expect(discovery.issuer).toBe(publicIssuer);
  expect(discovery.authorization_endpoint).toBe(`${publicIssuer}/authorize`);

  // The proxy strips /idp: the request reaches Inkan at /authorize.
  const browser = new HttpBrowser(server.url);
  const start = await browser.request(authorizeUrl(server.url, {
    response_type: 'code', client_id: spa.client_id, redirect_uri: REDIRECT, scope: 'openid', state: 's',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
  }));
  expect(start.status).toBe(302);
  expect(start.location).toMatch(/^\/idp\/login\?ix=/);
  const page = await browser.request(start.location!.slice('/idp'.length));
  expect(page.body).toMatch(/<form[^>]+action="\/idp\/login\?ix=/);
});

it('serves the Shared Signals configuration where SSF 1.0 §7.2 puts it: the issuer path after the well-known name', async () => {
  const response = await fetch(`${server.url}/.well-known/ssf-configuration/idp`);
  expect(response.status).toBe(200);
  const document = (await response.json()) as Record<string, string>;
  expect(document.issuer).toBe(publicIssuer);
  expect(document.configuration_endpoint).toBe(`${publicIssuer}/ssf/streams`);
  expect((await fetch(`${server.url}/.well-known/ssf-configuration`)).status).toBe(404);
});
