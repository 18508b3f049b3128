/**
 * The authorization endpoint and the authorization_code grant over HTTP, one bad input at a time:
 * unknown client, unregistered redirect_uri (an error page, never a redirect), response types,
 * scope, PKCE (missing, plain, wrong verifier), prompt=none, and the code's single use, expiry
 * and binding. Successful exchanges are checked with jose against the published JWKS.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, basicAuth, type RegisteredClient } from '../../helpers/clients.js';
import { authorizeUrl, createUser, HttpBrowser, movableClock, redirectParams, signIn } from '../../helpers/people.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const clock = movableClock();
let server: TestServer;
let spa: RegisteredClient;
let web: RegisteredClient;
let legacy: RegisteredClient;
let user: { id: string };

const verifier = () => crypto.randomBytes(32).toString('base64url');
const challengeOf = (value: string) => crypto.createHash('sha256').update(value).digest('base64url');

beforeAll(async () => {
  server = await startInkan({ core: { clock } });
  user = await createUser(server, 'grace@example.com', 'hopper-1906-cobol');
  spa = await registerClient(server, [
    '--name', 'SPA', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT,
    '--scope', 'openid profile email', '--auth-method', 'none', '--skip-consent',
  ]);
  web = await registerClient(server, [
    '--name', 'Web', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT,
    '--scope', 'openid email', '--alg', 'EdDSA', '--skip-consent',
  ]);
  legacy = await registerClient(server, [
    '--name', 'Legacy web', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT,
    '--scope', 'openid email api', '--skip-consent', '--allow-no-pkce',
  ]);
});
afterAll(async () => {
  await server.stop();
});

function spaRequest(overrides: Record<string, string | undefined> = {}) {
  const codeVerifier = verifier();
  const url = authorizeUrl(server.issuer, {
    client_id: spa.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email',
    state: 'st-123', nonce: 'n-456', code_challenge: challengeOf(codeVerifier), code_challenge_method: 'S256', ...overrides,
  });
  return { url, codeVerifier };
}

async function token(form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

async function codeFor(request = spaRequest(), browser = new HttpBrowser(server.issuer)) {
  const callback = await signIn(browser, request.url, 'grace@example.com', 'hopper-1906-cobol');
  return { code: callback.searchParams.get('code')!, callback, codeVerifier: request.codeVerifier, browser };
}

describe('the authorization endpoint refuses to redirect before it trusts the redirect_uri', () => {
  it('answers an unknown client_id with a 400 error page', async () => {
    const hop = await new HttpBrowser(server.issuer).request(spaRequest({ client_id: 'no-such-client' }).url);
    expect(hop.status).toBe(400);
    expect(hop.location).toBeNull();
    expect(hop.headers.get('content-type')).toContain('text/html');
    expect(hop.body).toContain('not registered');
  });

  it('answers an unregistered redirect_uri with a 400 error page, not a redirect', async () => {
    for (const redirect of ['https://evil.example/callback', 'http://127.0.0.1:9/callback/', 'http://127.0.0.1:9/callback?x=1']) {
      const hop = await new HttpBrowser(server.issuer).request(spaRequest({ redirect_uri: redirect }).url);
      expect(hop.status).toBe(400);
      expect(hop.location).toBeNull();
      expect(hop.body).toContain('redirect_uri is not registered');
    }
  });

  it('answers a missing redirect_uri with an error page', async () => {
    const hop = await new HttpBrowser(server.issuer).request(spaRequest({ redirect_uri: undefined }).url);
    expect(hop.status).toBe(400);
    expect(hop.location).toBeNull();
  });
});

describe('errors after the redirect_uri is validated go back to it with state and iss', () => {
  async function errorRedirect(overrides: Record<string, string | undefined>) {
    const hop = await new HttpBrowser(server.issuer).request(spaRequest(overrides).url);
    expect(hop.status).toBe(302);
    const location = new URL(hop.location!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('iss')).toBe(server.issuer);
    expect(location.searchParams.get('state')).toBe('st-123');
    expect(location.searchParams.get('code')).toBeNull();
    return location.searchParams;
  }

  it('refuses response_type other than code', async () => {
    expect((await errorRedirect({ response_type: 'token' })).get('error')).toBe('unsupported_response_type');
    expect((await errorRedirect({ response_type: 'code id_token' })).get('error')).toBe('unsupported_response_type');
    expect((await errorRedirect({ response_type: undefined })).get('error')).toBe('invalid_request');
  });

  it('refuses a scope the client was not registered with', async () => {
    expect((await errorRedirect({ scope: 'openid admin' })).get('error')).toBe('invalid_scope');
  });

  it('requires PKCE from a public client', async () => {
    const params = await errorRedirect({ code_challenge: undefined, code_challenge_method: undefined });
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('error_description')).toContain('PKCE');
  });

  it('refuses the plain PKCE method, and a challenge without a method (which means plain)', async () => {
    expect((await errorRedirect({ code_challenge_method: 'plain' })).get('error')).toBe('invalid_request');
    expect((await errorRedirect({ code_challenge: 'a'.repeat(43), code_challenge_method: undefined })).get('error')).toBe('invalid_request');
  });

  it('answers prompt=none without a session with login_required', async () => {
    const params = await errorRedirect({ prompt: 'none' });
    expect(params.get('error')).toBe('login_required');
  });

  it('refuses a request object and a repeated parameter', async () => {
    expect((await errorRedirect({ request: 'eyJhbGciOiJub25lIn0.e30.' })).get('error')).toBe('request_not_supported');
    const hop = await new HttpBrowser(server.issuer).request(`${spaRequest().url}&scope=openid`);
    expect(new URL(hop.location!).searchParams.get('error')).toBe('invalid_request');
  });
});

describe('the authorization_code grant', () => {
  it('issues RFC 9068 access tokens and ID tokens with sid, auth_time, nonce and at_hash', async () => {
    const { code, callback, codeVerifier } = await codeFor();
    expect(callback.searchParams.get('iss')).toBe(server.issuer);
    expect(callback.searchParams.get('state')).toBe('st-123');
    const { status, body } = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: spa.client_id, code_verifier: codeVerifier });
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    expect(body.scope).toBe('openid email');
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
    const access = await jwtVerify(body.access_token!, jwks, { issuer: server.issuer, audience: server.issuer, typ: 'at+jwt', currentDate: new Date(clock.nowSeconds() * 1000) });
    expect(access.payload).toMatchObject({ sub: user.id, client_id: spa.client_id, scope: 'openid email' });
    expect(access.payload.sid).toEqual(expect.any(String));
    expect(access.payload.auth_time).toEqual(expect.any(Number));
    const id = await jwtVerify(body.id_token!, jwks, { issuer: server.issuer, audience: spa.client_id, currentDate: new Date(clock.nowSeconds() * 1000) });
    expect(id.payload).toMatchObject({ sub: user.id, nonce: 'n-456', sid: access.payload.sid, auth_time: access.payload.auth_time, email: 'grace@example.com', email_verified: false });
    expect(id.payload.at_hash).toBe(crypto.createHash('sha256').update(body.access_token!).digest().subarray(0, 16).toString('base64url'));
    expect(body.refresh_token).toBeUndefined();
  });

  it('signs with the client\'s alg and accepts PKCE from a confidential client', async () => {
    const codeVerifier = verifier();
    const url = authorizeUrl(server.issuer, {
      client_id: web.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email', nonce: 'n',
      code_challenge: challengeOf(codeVerifier), code_challenge_method: 'S256',
    });
    const callback = await signIn(new HttpBrowser(server.issuer), url, 'grace@example.com', 'hopper-1906-cobol');
    const { status, body } = await token({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: codeVerifier }, { authorization: basicAuth(web) });
    expect(status).toBe(200);
    const id = await jwtVerify(body.id_token!, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer, audience: web.client_id, algorithms: ['EdDSA'], currentDate: new Date(clock.nowSeconds() * 1000) });
    expect(id.payload.at_hash).toBe(crypto.createHash('sha512').update(body.access_token!).digest().subarray(0, 32).toString('base64url'));
  });

  it('refuses a wrong code_verifier with invalid_grant', async () => {
    const { code } = await codeFor();
    const { status, body } = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: spa.client_id, code_verifier: verifier() });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it('refuses a missing code_verifier and a wrong redirect_uri with invalid_grant', async () => {
    const { code, codeVerifier } = await codeFor();
    expect((await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: spa.client_id })).body.error).toBe('invalid_grant');
    expect((await token({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:9/other', client_id: spa.client_id, code_verifier: codeVerifier })).body.error).toBe('invalid_grant');
  });

  it('refuses a code presented by another client', async () => {
    const { code, codeVerifier } = await codeFor();
    const { status, body } = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: codeVerifier }, { authorization: basicAuth(web) });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it('refuses a reused code with invalid_grant and revokes the access token it issued', async () => {
    const { code, codeVerifier } = await codeFor();
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: spa.client_id, code_verifier: codeVerifier };
    const first = await token(form);
    expect(first.status).toBe(200);
    const userinfo = () => fetch(`${server.issuer}/userinfo`, { headers: { authorization: `Bearer ${first.body.access_token}` } });
    expect((await userinfo()).status).toBe(200);

    const second = await token(form);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    const after = await userinfo();
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses an expired code (older than 60 seconds)', async () => {
    const { code, codeVerifier } = await codeFor();
    clock.advance(61);
    const { status, body } = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: spa.client_id, code_verifier: codeVerifier });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toContain('expired');
  });

  it('refuses an unknown code and a missing code', async () => {
    expect((await token({ grant_type: 'authorization_code', code: 'nope', redirect_uri: REDIRECT, client_id: spa.client_id, code_verifier: verifier() })).body.error).toBe('invalid_grant');
    expect((await token({ grant_type: 'authorization_code', redirect_uri: REDIRECT, client_id: spa.client_id })).body.error).toBe('invalid_request');
  });
});

describe('PKCE for every client by default (RFC 9700 §2.1.1)', () => {
  /** The parameters of the redirect answering an authorization request without PKCE. */
  const withoutPkce = async (client: RegisteredClient, extra: Record<string, string> = {}) =>
    new HttpBrowser(server.issuer).request(authorizeUrl(server.issuer, { client_id: client.client_id, redirect_uri: REDIRECT, response_type: 'code', state: 'st-9', ...extra }));

  it('refuses a confidential client without PKCE: invalid_request at the redirect_uri, with state and iss', async () => {
    expect(redirectParams(await withoutPkce(web, { scope: 'openid email', nonce: 'n' }), REDIRECT)).toEqual({
      error: 'invalid_request',
      error_description: 'PKCE is required: send code_challenge with code_challenge_method=S256',
      state: 'st-9',
      iss: server.issuer,
    });
  });

  it('lets a client registered with --allow-no-pkce through without it, with a nonce for openid', async () => {
    expect(redirectParams(await withoutPkce(legacy, { scope: 'openid email' }), REDIRECT)).toEqual({
      error: 'invalid_request',
      error_description: 'nonce is required for an openid request without PKCE',
      state: 'st-9',
      iss: server.issuer,
    });
    // Without openid there is no ID token to carry a nonce: the request goes on to the login page.
    expect((await withoutPkce(legacy, { scope: 'api' })).location).toMatch(/^\/login\?ix=/);
    const url = authorizeUrl(server.issuer, { client_id: legacy.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email', nonce: 'n-legacy' });
    const callback = await signIn(new HttpBrowser(server.issuer), url, 'grace@example.com', 'hopper-1906-cobol');
    const exchange = { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT };
    // Downgrade protection: a verifier for a code issued without a challenge is refused (and does not consume the code).
    expect((await token({ ...exchange, code_verifier: verifier() }, { authorization: basicAuth(legacy) })).body.error).toBe('invalid_grant');
    const { status, body } = await token(exchange, { authorization: basicAuth(legacy) });
    expect(status).toBe(200);
    const id = await jwtVerify(body.id_token!, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer, audience: legacy.client_id, currentDate: new Date(clock.nowSeconds() * 1000) });
    expect(id.payload.nonce).toBe('n-legacy');
  });

  it('is listed by clients list, and refused for a public client at registration', async () => {
    const listed = (await server.cli(['clients', 'list'])).json<{ client_id: string; allow_no_pkce: boolean }[]>();
    expect(listed.find((client) => client.client_id === legacy.client_id)?.allow_no_pkce).toBe(true);
    expect(listed.find((client) => client.client_id === web.client_id)?.allow_no_pkce).toBe(false);
    const refused = await server.cli(['clients', 'create', '--name', 'SPA', '--auth-method', 'none', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--allow-no-pkce']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toBe('inkan: a public client (auth method none) must use PKCE: --allow-no-pkce is for confidential clients only\n');
  });
});

describe('an existing session', () => {
  it('answers prompt=none with a code, prompt=login, prompt=select_account and max_age=0 with the login page', async () => {
    const { browser } = await codeFor();
    const silent = await browser.request(spaRequest({ prompt: 'none' }).url);
    expect(new URL(silent.location!).searchParams.get('code')).toEqual(expect.any(String));
    for (const overrides of [{ prompt: 'login' }, { prompt: 'select_account' }, { max_age: '0' }]) {
      clock.advance(1);
      const hop = await browser.request(spaRequest(overrides).url);
      expect(hop.location).toMatch(/^\/login\?ix=/);
    }
  });
});

describe('discovery', () => {
  it('lists the people endpoints and capabilities', async () => {
    const document = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(document).toMatchObject({
      authorization_endpoint: `${server.issuer}/authorize`,
      userinfo_endpoint: `${server.issuer}/userinfo`,
      end_session_endpoint: `${server.issuer}/end-session`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(document.claims_supported).toEqual(expect.arrayContaining(['sub', 'name', 'email', 'email_verified', 'sid', 'auth_time', 'nonce']));
    expect(document.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email']));
  });
});
