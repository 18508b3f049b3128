/**
 * RFC 8628 over HTTP, as a device and a person meet it, with a clock the test moves: the device
 * endpoint's answer and every refusal it names (unauthorized_client, invalid_scope, invalid_target,
 * invalid_client), the verification page (wrong codes, codes typed loosely, verification_uri_complete,
 * the throttle on guesses), and every answer of the token endpoint's polling: authorization_pending,
 * slow_down with the interval grown by 5 s each time, access_denied, expired_token, invalid_grant
 * for an unknown, foreign or used device_code (a used one also revokes the tokens it gave), and the
 * tokens once the person allowed it, checked like a relying party checks them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { createUser, HttpBrowser, movableClock } from '../../helpers/people.js';
import { clientToken, LogLines, sample, scrape } from '../../helpers/operations.js';
import { recordSecrets } from '../../helpers/secrets.js';
import { purgeOnce } from '../../../src/housekeeping/purge.js';
import { decide, DEVICE_GRANT, deviceAuthorization, discovery, introspectOnDevice, poll, refreshOnDevice, typeCode } from './support.js';

const clock = movableClock();
const logs = new LogLines();
const RESOURCE = 'https://tv-api.example.com';
const person = { email: 'grace@example.com', password: 'a long and careful passphrase' };
let server: TestServer;
let device: RegisteredClient;
let publicDevice: RegisteredClient;
let sub: string;
let verificationUri: string;

beforeAll(async () => {
  server = await startInkan({ core: { clock }, env: { ADMIN_API: 'on' }, onLog: logs.collect });
  sub = (await createUser(server, person.email, person.password, 'Grace Hopper')).id;
  device = await registerClient(server, [
    '--name', 'Living-room TV', '--grant-types', `${DEVICE_GRANT},refresh_token`,
    '--scope', 'openid profile offline_access tv', '--resources', RESOURCE,
  ]);
  publicDevice = await registerClient(server, ['--name', 'A CLI', '--grant-types', DEVICE_GRANT, '--scope', 'openid tv', '--auth-method', 'none']);
  verificationUri = `${server.issuer}/device`;
});
afterAll(async () => {
  await server?.stop();
});

describe('the device authorization endpoint (RFC 8628 §3.1/§3.2)', () => {
  it('is in discovery with the grant type', async () => {
    const document = await discovery(server);
    expect(document.device_authorization_endpoint).toBe(`${server.issuer}/device/authorization`);
    expect(document.grant_types_supported).toContain(DEVICE_GRANT);
  });

  it('answers the codes, an easy user code and the verification URIs, never cached', async () => {
    const answer = await deviceAuthorization(server, device, { scope: 'openid tv' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      device_code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      user_code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/),
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${answer.body.user_code}`,
      expires_in: 600,
      interval: 5,
    });
    // A public client authenticates with its client_id alone.
    expect((await deviceAuthorization(server, publicDevice, { scope: 'tv' })).status).toBe(200);
  });

  it('refuses a client not registered for the grant with unauthorized_client, here and at the token endpoint', async () => {
    const service = await registerClient(server, ['--name', 'A service', '--scope', 'tv']);
    const answer = await deviceAuthorization(server, service, { scope: 'tv' });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'unauthorized_client', error_description: `the client is not registered for the ${DEVICE_GRANT} grant` });
    // The token endpoint refuses it the grant the same way, whatever the code.
    const { body: started } = await deviceAuthorization(server, device, { scope: 'tv' });
    expect((await poll(server, service, started.device_code)).body.error).toBe('unauthorized_client');
  });

  it('refuses a scope or a resource outside the client, and a wrong secret', async () => {
    expect((await deviceAuthorization(server, device, { scope: 'openid admin' })).body.error).toBe('invalid_scope');
    expect((await deviceAuthorization(server, device, { scope: 'tv', resource: 'https://other.example.com' })).body.error).toBe('invalid_target');
    const wrong = await deviceAuthorization(server, { client_id: device.client_id, client_secret: 'not-the-secret' }, { scope: 'tv' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
  });
});

describe('registration through the admin API', () => {
  it('registers a device client, the grant type in the OpenAPI document', async () => {
    const admin = await registerClient(server, ['--name', 'ops', '--scope', 'admin']);
    const token = (await clientToken(server, admin, 'admin')).access_token;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const openApi = (await (await fetch(`${server.issuer}/admin/v1/openapi.json`, { headers })).json()) as any;
    expect(openApi.components.schemas.NewClient.properties.grant_types.items.enum).toContain(DEVICE_GRANT);
    const created = await fetch(`${server.issuer}/admin/v1/clients`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Kiosk', grant_types: [DEVICE_GRANT], scope: 'openid tv', auth_method: 'none' }),
    });
    expect(created.status).toBe(201);
    const kiosk = (await created.json()) as RegisteredClient;
    recordSecrets(kiosk.client_secret);
    expect((await deviceAuthorization(server, { client_id: kiosk.client_id }, { scope: 'tv' })).status).toBe(200);
  });
});

describe('polling (RFC 8628 §3.4/§3.5)', () => {
  it('pending, slow_down growing the interval by 5 s each time, then the tokens once allowed, once', async () => {
    const { body: started } = await deviceAuthorization(server, device, { scope: 'openid profile offline_access tv', resource: RESOURCE });
    expect((await poll(server, device, started.device_code)).body.error).toBe('authorization_pending');
    // At once again: too fast, the interval becomes 10 s.
    const fast = await poll(server, device, started.device_code);
    expect(fast.status).toBe(400);
    expect(fast.body.error).toBe('slow_down');
    // 5 s later would have been enough before; now it is too fast again, and the interval becomes 15 s.
    clock.advance(5);
    expect((await poll(server, device, started.device_code)).body.error).toBe('slow_down');
    clock.advance(14);
    expect((await poll(server, device, started.device_code)).body.error).toBe('slow_down');
    clock.advance(20);
    expect((await poll(server, device, started.device_code)).body.error).toBe('authorization_pending');

    const browser = new HttpBrowser(server.issuer);
    expect(await decide(browser, started.verification_uri, started.user_code, person, 'allow')).toBe('/device/done?result=approved');
    const done = await browser.request('/device/done?result=approved');
    expect(done.body).toContain('You can return to your device');

    clock.advance(25);
    const tokens = await poll(server, device, started.device_code);
    expect(tokens.status).toBe(200);
    expect(tokens.headers.get('cache-control')).toBe('no-store');
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile offline_access tv', refresh_token: expect.any(String), id_token: expect.any(String) });
    const jwks = createRemoteJWKSet(new URL((await discovery(server)).jwks_uri));
    const access = await jwtVerify(tokens.body.access_token, jwks, { issuer: server.issuer, audience: RESOURCE, typ: 'at+jwt', currentDate: new Date(clock.nowSeconds() * 1000) });
    expect(access.payload).toMatchObject({ sub, client_id: device.client_id, scope: 'openid profile offline_access tv', sid: expect.any(String) });
    expect(decodeProtectedHeader(tokens.body.access_token).typ).toBe('at+jwt');
    const id = await jwtVerify(tokens.body.id_token, jwks, { issuer: server.issuer, audience: device.client_id, currentDate: new Date(clock.nowSeconds() * 1000) });
    expect(id.payload).toMatchObject({ sub, name: 'Grace Hopper', amr: ['pwd'], sid: access.payload.sid });

    // Single use: the same device_code again is invalid_grant, and ends the grant it started
    // (RFC 6749 §4.1.2, as for a code): the access token is inactive, the refresh token revoked.
    clock.advance(25);
    const again = await poll(server, device, started.device_code);
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'invalid_grant', error_description: 'the device_code was already used; the tokens issued for it are revoked' });
    expect((await introspectOnDevice(server, device, tokens.body.access_token)).body).toEqual({ active: false });
    const refreshed = await refreshOnDevice(server, device, tokens.body.refresh_token);
    expect(refreshed.status).toBe(400);
    expect(refreshed.body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token was revoked' });
    const metrics = await scrape(server);
    expect(sample(metrics, 'inkan_device_authorizations_total', { outcome: 'approved' })).toBe(1);
    expect(sample(metrics, 'inkan_tokens_issued_total', { grant_type: DEVICE_GRANT, alg: 'RS256', client_id: device.client_id })).toBe(1);
    // The audit trail names the request by its id, never a code.
    const [begun] = logs.audit('device.authorization_started').filter((line) => line.scope === 'openid profile offline_access tv');
    expect(begun).toMatchObject({ actor: 'client', client_id: device.client_id, device_authorization_id: expect.any(String) });
    expect(logs.audit('device.approved')).toContainEqual(expect.objectContaining({ sub, client_id: device.client_id, device_authorization_id: begun!.device_authorization_id }));
    expect(logs.audit('token.issued')).toContainEqual(expect.objectContaining({ grant_type: DEVICE_GRANT, sub, client_id: device.client_id }));
    expect(logs.raw.some((line) => line.includes(started.user_code) || line.includes(started.device_code))).toBe(false);
  });

  it('answers access_denied once the person pressed Deny', async () => {
    const { body: started } = await deviceAuthorization(server, device, { scope: 'tv' });
    const browser = new HttpBrowser(server.issuer);
    expect(await decide(browser, started.verification_uri, started.user_code, person, 'deny')).toBe('/device/done?result=denied');
    const answer = await poll(server, device, started.device_code);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'access_denied', error_description: 'the person denied the request' });
  });

  it('answers expired_token once the code expired', async () => {
    const { body: started } = await deviceAuthorization(server, device, { scope: 'tv' });
    clock.advance(600);
    const answer = await poll(server, device, started.device_code);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('expired_token');
    // Nor can the person still approve it.
    const typed = await typeCode(new HttpBrowser(server.issuer), verificationUri, started.user_code);
    expect(typed.status).toBe(400);
    // Housekeeping removes it an hour after it expired; the device then gets invalid_grant.
    clock.advance(3601);
    await purgeOnce(server.deps); // (the server's own housekeeping may have run first: either removes it)
    expect((await poll(server, device, started.device_code)).body.error).toBe('invalid_grant');
  });

  it('answers invalid_grant for an unknown device_code, another client\'s, and a missing one as invalid_request', async () => {
    const { body: started } = await deviceAuthorization(server, device, { scope: 'tv' });
    expect((await poll(server, device, 'not-a-device-code')).body).toEqual({ error: 'invalid_grant', error_description: 'the device_code is invalid' });
    expect((await poll(server, publicDevice, started.device_code)).body).toEqual({ error: 'invalid_grant', error_description: 'the device_code was issued to another client' });
    const missing = await poll(server, device, '', {});
    expect(missing.body.error).toBe('invalid_request');
  });
});

describe('the verification page (RFC 8628 §3.3)', () => {
  it('has a Code field and a Continue button, prefilled from verification_uri_complete, with the page headers', async () => {
    const { body: started } = await deviceAuthorization(server, device, { scope: 'tv' });
    const browser = new HttpBrowser(server.issuer);
    const page = await browser.request(started.verification_uri_complete);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<label for="code">Code</label>');
    expect(page.body).toContain(`value="${started.user_code}"`);
    expect(page.body).toContain('<button type="submit">Continue</button>');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).not.toContain('script-src');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('accepts the code in lower case, without the dash, with spaces', async () => {
    const { body: started } = await deviceAuthorization(server, device, { scope: 'tv' });
    const loose = ` ${started.user_code.slice(0, 4).toLowerCase()} ${started.user_code.slice(5).toLowerCase()} `;
    const typed = await typeCode(new HttpBrowser(server.issuer), verificationUri, loose);
    expect(typed.status).toBe(303);
    expect(typed.location).toMatch(/^\/login\?ix=/);
  });

  it('refuses a wrong code with a message on the page, and a form without its CSRF token', async () => {
    const browser = new HttpBrowser(server.issuer);
    const typed = await typeCode(browser, verificationUri, 'BBBB-BBBB');
    expect(typed.status).toBe(400);
    expect(typed.body).toContain('That code is not valid or has expired. Check the code on your device and try again.');
    expect(logs.audit('device.code_refused')).toContainEqual(expect.objectContaining({ reason: 'wrong_code' }));
    const forged = await browser.request(verificationUri, { form: { csrf: 'forged', user_code: 'BBBB-BBBB' } });
    expect(forged.status).toBe(403);
  });

  it('refuses a code already used', async () => {
    const { body: started } = await deviceAuthorization(server, device, { scope: 'tv' });
    const browser = new HttpBrowser(server.issuer);
    await decide(browser, verificationUri, started.user_code, person, 'allow');
    const again = await typeCode(browser, verificationUri, started.user_code);
    expect(again.status).toBe(400);
    expect(again.body).toContain('That code is not valid or has expired.');
  });

  it('throttles guesses per address: after 5 wrong codes even the right one waits', async () => {
    clock.advance(7200); // earlier tests' wrong codes are forgotten
    const { body: started } = await deviceAuthorization(server, device, { scope: 'tv' });
    const browser = new HttpBrowser(server.issuer);
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect((await typeCode(browser, verificationUri, `BBBB-BBB${'CDFGH'[attempt - 1]}`)).status).toBe(400);
    }
    const throttled = await typeCode(browser, verificationUri, started.user_code);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('60');
    expect(throttled.body).toContain('Too many wrong codes were typed from your network. Wait 1 minute, then try again.');
    clock.advance(61);
    expect((await typeCode(browser, verificationUri, started.user_code)).status).toBe(303);
  });
});
