/**
 * Registering a back-channel logout URI (OpenID Connect Back-Channel Logout 1.0 §2.2) through the
 * CLI and the admin API: https, or http only on a loopback host (the redirect-URI rules of
 * oauth/redirect-uri.ts, without private-use schemes, which no server answers); no fragment, no
 * userinfo; `--backchannel-logout-session-required` only with a URI. Each bad input is refused
 * with its exact message; a good one is listed back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient } from '../../helpers/clients.js';
import { clientToken } from '../../helpers/operations.js';
import { REDIRECT } from './relying-party.js';

let server: TestServer;
let adminToken: string;

const BASE = ['clients', 'create', '--name', 'rp', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid'];

beforeAll(async () => {
  server = await startInkan({ env: { ADMIN_API: 'on' } });
  const admin = await registerClient(server, ['--name', 'ops', '--scope', 'admin']);
  adminToken = (await clientToken(server, admin, 'admin')).access_token;
});
afterAll(async () => {
  await server.stop();
});

async function createWithAdminApi(json: Record<string, unknown>) {
  const response = await fetch(`${server.issuer}/admin/v1/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'rp', grant_types: ['authorization_code'], redirect_uris: [REDIRECT], scope: 'openid', ...json }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const BAD_URIS: Array<[string, string]> = [
  ['http://rp.example.com/logout', 'back-channel logout URI "http://rp.example.com/logout" uses plain http off loopback: use https, or http on 127.0.0.1, [::1] or localhost'],
  ['https://rp.example.com/logout#top', 'back-channel logout URI "https://rp.example.com/logout#top" must not have a fragment'],
  ['https://user:pass@rp.example.com/logout', 'back-channel logout URI "https://user:pass@rp.example.com/logout" must not carry userinfo (user:password@)'],
  ['com.example.app:/logout', 'back-channel logout URI "com.example.app:/logout" must be https, or http on a loopback host'],
  ['/logout', 'back-channel logout URI "/logout" is not an absolute URI'],
  [`https://rp.example.com/${'a'.repeat(2048)}`, 'the back-channel logout URI is longer than 2048 characters'],
];

describe('clients create --backchannel-logout-uri', () => {
  it('registers an https URI with a query, and http on loopback, and lists them back', async () => {
    const https = await registerClient(server, [...BASE.slice(2), '--backchannel-logout-uri', 'https://rp.example.com/logout?tenant=a', '--backchannel-logout-session-required']);
    const loopback = await registerClient(server, [...BASE.slice(2), '--backchannel-logout-uri', 'http://[::1]:8080/logout']);
    const listed = (await server.cli(['clients', 'list'])).json<Record<string, unknown>[]>();
    expect(listed.find((client) => client.client_id === https.client_id)).toMatchObject({
      backchannel_logout_uri: 'https://rp.example.com/logout?tenant=a',
      backchannel_logout_session_required: true,
    });
    expect(listed.find((client) => client.client_id === loopback.client_id)).toMatchObject({
      backchannel_logout_uri: 'http://[::1]:8080/logout',
      backchannel_logout_session_required: false,
    });
  });

  it.each(BAD_URIS.map(([uri, message]) => ({ uri, message })))('refuses with: $message', async ({ uri, message }) => {
    const result = await server.cli([...BASE, '--backchannel-logout-uri', uri]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe(`inkan: ${message}\n`);
  });

  it('refuses --backchannel-logout-session-required without a URI', async () => {
    const result = await server.cli([...BASE, '--backchannel-logout-session-required']);
    expect(result.stderr).toBe('inkan: --backchannel-logout-session-required needs --backchannel-logout-uri\n');
  });
});

describe('the admin API', () => {
  it('registers backchannel_logout_uri and backchannel_logout_session_required, and lists them back', async () => {
    const created = await createWithAdminApi({ backchannel_logout_uri: 'https://rp.example.com/bcl', backchannel_logout_session_required: true });
    expect(created.status).toBe(201);
    const response = await fetch(`${server.issuer}/admin/v1/clients`, { headers: { authorization: `Bearer ${adminToken}` } });
    const listed = (await response.json()) as Record<string, unknown>[];
    expect(listed.find((client) => client.client_id === created.body.client_id)).toMatchObject({
      backchannel_logout_uri: 'https://rp.example.com/bcl',
      backchannel_logout_session_required: true,
    });
  });

  it.each([
    ...BAD_URIS.map(([uri, message]): [Record<string, unknown>, string] => [{ backchannel_logout_uri: uri }, message]),
    [{ backchannel_logout_uri: 42 }, 'backchannel_logout_uri must be a string'],
    [{ backchannel_logout_uri: 'https://rp.example.com/bcl', backchannel_logout_session_required: 'yes' }, 'backchannel_logout_session_required must be true or false'],
    [{ backchannel_logout_session_required: true }, '--backchannel-logout-session-required needs --backchannel-logout-uri'],
  ].map(([json, message]) => ({ json: json as Record<string, unknown>, message: message as string })))('refuses with: $message', async ({ json, message }) => {
    expect(await createWithAdminApi(json)).toEqual({ status: 400, body: { error: 'invalid_request', error_description: message } });
  });

  it('documents both fields in its OpenAPI document', async () => {
    const document = (await (await fetch(`${server.issuer}/admin/v1/openapi.json`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as {
      components: { schemas: Record<string, { properties: Record<string, { type: string }> }> };
    };
    for (const schema of ['Client', 'NewClient']) {
      expect(document.components.schemas[schema]!.properties.backchannel_logout_uri!.type).toBe('string');
      expect(document.components.schemas[schema]!.properties.backchannel_logout_session_required!.type).toBe('boolean');
    }
  });
});
