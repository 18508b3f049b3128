/**
 * The pending sign-ins an unauthenticated /authorize creates (login/authorizer.ts): at most
 * PENDING_SIGNINS_PER_ADDRESS live ones per client address (3 here; TRUST_PROXY=on lets the test
 * speak from several addresses), the next one answered `temporarily_unavailable` at the
 * redirect_uri without a row, other addresses unaffected, the address free again once its requests
 * expire; and the browser-binding cookie renewed with a full lifetime on every /authorize.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { authorizeUrl, createUser, HttpBrowser, movableClock, PKCE_CHALLENGE, redirectParams, signIn } from '../../helpers/people.js';
import { INTERACTION_TTL_SECONDS } from '../../../src/login/authorizer.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const clock = movableClock();
let server: TestServer;
let client: RegisteredClient;

beforeAll(async () => {
  server = await startInkan({ env: { PENDING_SIGNINS_PER_ADDRESS: '3', TRUST_PROXY: 'on' }, core: { clock } });
  client = await registerClient(server, ['--name', 'App', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid', '--skip-consent']);
  await createUser(server, 'ada@example.com', 'analytical-engine');
});
afterAll(async () => {
  await server.stop();
});

const url = () => authorizeUrl(server.issuer, { client_id: client.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'st', ...PKCE_CHALLENGE });
const from = (address: string) => new HttpBrowser(server.issuer).request(url(), { headers: { 'x-forwarded-for': address } });

describe('pending sign-ins per address', () => {
  it('holds PENDING_SIGNINS_PER_ADDRESS live requests per address, then answers temporarily_unavailable without storing one', async () => {
    for (let i = 0; i < 3; i += 1) expect((await from('203.0.113.7')).location).toMatch(/^\/login\?ix=/);
    expect(redirectParams(await from('203.0.113.7'), REDIRECT)).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'too many sign-ins are in progress from this address; try again later',
      state: 'st',
      iss: server.issuer,
    });
    expect(await server.deps.stores.authorizationRequests.countLive('address:203.0.113.7', clock.nowSeconds())).toBe(3);
    // Another address, and another /64 of IPv6, are not affected; one /64 is one address.
    expect((await from('203.0.113.8')).location).toMatch(/^\/login\?ix=/);
    for (let i = 0; i < 3; i += 1) expect((await from(`2001:db8:1:2::${i + 1}`)).location).toMatch(/^\/login\?ix=/);
    expect(new URL((await from('2001:db8:1:2:ffff::9')).location!).searchParams.get('error')).toBe('temporarily_unavailable');
    expect((await from('2001:db8:1:3::1')).location).toMatch(/^\/login\?ix=/);
  });

  it('frees the address as its requests expire', async () => {
    for (let i = 0; i < 3; i += 1) await from('198.51.100.4');
    expect(new URL((await from('198.51.100.4')).location!).searchParams.get('error')).toBe('temporarily_unavailable');
    clock.advance(INTERACTION_TTL_SECONDS);
    expect((await from('198.51.100.4')).location).toMatch(/^\/login\?ix=/);
  });

  it('still completes the sign-in of a browser that has a session, whatever the count', async () => {
    const browser = new HttpBrowser(server.issuer);
    const headers = { 'x-forwarded-for': '192.0.2.50' };
    const first = await browser.request(url(), { headers });
    expect(first.location).toMatch(/^\/login\?ix=/);
    await signIn(browser, url(), 'ada@example.com', 'analytical-engine');
    for (let i = 0; i < 3; i += 1) await from('192.0.2.50');
    const silent = await browser.request(url(), { headers });
    expect(new URL(silent.location!).searchParams.get('code')).toEqual(expect.any(String));
  });
});

describe('the browser-binding cookie', () => {
  const browserCookie = (setCookies: string[]) => setCookies.find((cookie) => cookie.startsWith('inkan_browser='));

  it('is sent again, same value and a full lifetime, on every /authorize', async () => {
    const browser = new HttpBrowser(server.issuer);
    const first = browserCookie((await browser.request(url())).headers.getSetCookie());
    expect(first).toMatch(new RegExp(`^inkan_browser=[A-Za-z0-9_-]{43}; Max-Age=${2 * INTERACTION_TTL_SECONDS}; `));
    const value = first!.split(';')[0];
    clock.advance(INTERACTION_TTL_SECONDS);
    const again = browserCookie((await browser.request(url())).headers.getSetCookie());
    expect(again).toBe(first);
    expect(again!.split(';')[0]).toBe(value);
  });
});
