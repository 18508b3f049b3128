/**
 * TRUST_PROXY: behind the operator's reverse proxy, the login throttle counts attempts per client
 * address taken from X-Forwarded-For (only the entries the trusted proxies appended, the rightmost
 * ones, so a client cannot choose its own address); without it, per TCP peer, whatever the header.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../../src/config.js';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { authorizeUrl, createUser, csrfOf, HttpBrowser } from '../../helpers/people.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

interface Setup {
  readonly server: TestServer;
  readonly spa: RegisteredClient;
}

async function setup(env: Record<string, string>): Promise<Setup> {
  const server = await startInkan({ env });
  await createUser(server, 'proxied@example.com', 'proxied-password-1');
  const spa = await registerClient(server, [
    '--name', 'SPA', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid', '--auth-method', 'none',
  ]);
  return { server, spa };
}

/** One wrong password sent with the given X-Forwarded-For header. */
async function failOnce({ server, spa }: Setup, forwardedFor: string): Promise<void> {
  const browser = new HttpBrowser(server.issuer);
  const start = await browser.request(
    authorizeUrl(server.issuer, {
      client_id: spa.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSwOrEcM', code_challenge_method: 'S256',
    }),
  );
  const page = await browser.request(start.location!);
  const posted = await browser.request(start.location!, {
    form: { csrf: csrfOf(page.body), email: 'proxied@example.com', password: 'wrong' },
    headers: { 'x-forwarded-for': forwardedFor },
  });
  expect(posted.status).toBe(401);
}

function addressKeys(server: TestServer): string[] {
  const db = new Database(path.join(server.dir, 'inkan.sqlite'), { readonly: true });
  try {
    return (db.prepare("select key from login_throttle where key like 'address:%' order by key").all() as { key: string }[]).map((row) => row.key);
  } finally {
    db.close();
  }
}

describe('TRUST_PROXY', () => {
  let direct: Setup;
  let proxied: Setup;
  beforeAll(async () => {
    [direct, proxied] = await Promise.all([setup({}), setup({ TRUST_PROXY: 'on' })]);
  });
  afterAll(async () => {
    await Promise.all([direct.server.stop(), proxied.server.stop()]);
  });

  it('is off by default: the throttle counts the TCP peer and ignores X-Forwarded-For', async () => {
    await failOnce(direct, '203.0.113.7');
    expect(addressKeys(direct.server)).toEqual(['address:127.0.0.1']);
  });

  it('on: the throttle counts the address the proxy appended, not what the client put before it', async () => {
    await failOnce(proxied, '203.0.113.7');
    await failOnce(proxied, '198.51.100.1, 203.0.113.8');
    expect(addressKeys(proxied.server)).toEqual(['address:203.0.113.7', 'address:203.0.113.8']);
  });

  it('accepts off, on and a number of hops, and refuses anything else', () => {
    expect(loadConfig({}).trustedProxyHops).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'off' }).trustedProxyHops).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'on' }).trustedProxyHops).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustedProxyHops).toBe(2);
    expect(() => loadConfig({ TRUST_PROXY: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY/);
  });
});
