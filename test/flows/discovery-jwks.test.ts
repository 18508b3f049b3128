/**
 * What a relying party reads before it trusts a token: the two discovery documents (the same
 * document under both names, listing what works) and the JWKS (public members only, the active and
 * the next key of each alg, kid = RFC 7638 thumbprint, cacheable with an ETag). Plus the health
 * endpoints. Last, the JWKS answer whole (its exact headers on GET, HEAD and 304), and a key change
 * served at once: the hot path prepares that answer once per key set.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { startInkan, type TestServer } from '../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../helpers/clients.js';
import { eventually } from '../helpers/eventually.js';

const JWKS_MAX_AGE_SECONDS = 123;
let server: TestServer;

beforeAll(async () => {
  server = await startInkan({ env: { JWKS_MAX_AGE: String(JWKS_MAX_AGE_SECONDS) } });
});
afterAll(async () => {
  await server.stop();
});

type Discovery = Record<string, unknown> & { issuer: string; jwks_uri: string; token_endpoint: string };

async function getJson<T>(url: string): Promise<{ response: Response; body: T }> {
  const response = await fetch(url);
  return { response, body: (await response.json()) as T };
}

describe('discovery', () => {
  it('serves the same document at both well-known names, listing what works', async () => {
    const openid = await getJson<Discovery>(`${server.issuer}/.well-known/openid-configuration`);
    const oauth = await getJson<Discovery>(`${server.issuer}/.well-known/oauth-authorization-server`);
    expect(openid.response.status).toBe(200);
    expect(oauth.response.status).toBe(200);
    expect(openid.response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(oauth.body).toEqual(openid.body);

    const document = openid.body;
    expect(document.issuer).toBe(server.issuer);
    // Endpoints live under the issuer; clients find them here, never by a fixed path.
    expect(document.jwks_uri.startsWith(`${server.issuer}/`)).toBe(true);
    expect(document.token_endpoint.startsWith(`${server.issuer}/`)).toBe(true);
    expect(document.grant_types_supported).toEqual(expect.arrayContaining(['client_credentials']));
    expect(document.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
    expect(document.id_token_signing_alg_values_supported).toEqual(['RS256', 'EdDSA', 'ES256']);
  });

  it('lists endpoints that answer', async () => {
    const { body } = await getJson<Discovery>(`${server.issuer}/.well-known/openid-configuration`);
    expect((await fetch(body.jwks_uri)).status).toBe(200);
    // The token endpoint exists (it refuses a GET with 405 rather than 404).
    expect((await fetch(body.token_endpoint)).status).toBe(405);
  });
});

describe('discovery lists only what works', () => {
  let document: Discovery;
  let spa: RegisteredClient;
  const REDIRECT = 'http://127.0.0.1:9/cb';
  const post = (url: unknown, form: Record<string, string>) =>
    fetch(url as string, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  const authorize = (params: Record<string, string>) =>
    fetch(`${document.authorization_endpoint as string}?${new URLSearchParams({
      client_id: spa.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSwOrEcM', code_challenge_method: 'S256', ...params,
    }).toString()}`, { redirect: 'manual' });
  const redirectError = (response: Response) => new URL(response.headers.get('location')!, server.issuer).searchParams.get('error');

  beforeAll(async () => {
    document = (await getJson<Discovery>(`${server.issuer}/.well-known/openid-configuration`)).body;
    spa = await registerClient(server, [
      '--name', 'spa', '--grant-types', 'authorization_code,refresh_token', '--redirect-uris', REDIRECT,
      '--scope', 'openid offline_access', '--auth-method', 'none',
    ]);
  });

  it('lists `none` where a public client is accepted (token, revocation) and not for introspection', async () => {
    expect(document.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']));
    expect(document.revocation_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']));
    expect(document.introspection_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
    expect(document.introspection_endpoint_auth_methods_supported).not.toContain('none');
    // A bare client_id authenticates at the token endpoint (the code is what fails) and at revocation…
    const exchange = await post(document.token_endpoint, { grant_type: 'authorization_code', code: 'unknown', redirect_uri: REDIRECT, client_id: spa.client_id, code_verifier: 'v'.repeat(43) });
    expect(exchange.status).toBe(400);
    expect(((await exchange.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await post(document.revocation_endpoint, { token: 'unknown', client_id: spa.client_id })).status).toBe(200);
    // …but not at introspection.
    const introspection = await post(document.introspection_endpoint, { token: 'unknown', client_id: spa.client_id });
    expect(introspection.status).toBe(401);
    expect(((await introspection.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('lists the grants, scopes, algorithms and claims Inkan has', async () => {
    expect([...(document.grant_types_supported as string[])].sort()).toEqual(['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange']);
    expect(document.scopes_supported).toEqual(['openid', 'profile', 'email', 'offline_access', 'revocations:read', 'ssf']);
    const jwks = (await getJson<{ keys: JWK[] }>(document.jwks_uri)).body;
    expect([...(document.id_token_signing_alg_values_supported as string[])].sort()).toEqual([...new Set(jwks.keys.map((key) => key.alg))].sort());
    // ID-token and userinfo claims only; access-token claims (RFC 9068) are not end-user claims.
    expect([...(document.claims_supported as string[])].sort()).toEqual(
      ['acr', 'amr', 'at_hash', 'aud', 'auth_time', 'email', 'email_verified', 'exp', 'iat', 'iss', 'name', 'nonce', 'sid', 'sub'],
    );
    // oauth/authentication-context.ts: a password; a second factor or a passkey; a passkey.
    expect(document.acr_values_supported).toEqual(['urn:inkan:acr:pwd', 'urn:inkan:acr:mfa', 'phr']);
    expect(document).toMatchObject({ response_types_supported: ['code'], subject_types_supported: ['public'] });
  });

  it('accepts the listed PKCE method, response mode and prompts at the authorization endpoint, and refuses others', async () => {
    expect(document.code_challenge_methods_supported).toEqual(['S256']);
    expect(document.response_modes_supported).toEqual(['query']);
    const toLogin = (response: Response) => response.status === 302 && response.headers.get('location')!.startsWith('/login');
    expect(toLogin(await authorize({ response_mode: 'query' }))).toBe(true);
    for (const prompt of (document.prompt_values_supported as string[]).filter((value) => value !== 'none')) {
      expect(toLogin(await authorize({ prompt }))).toBe(true);
    }
    expect(redirectError(await authorize({ prompt: 'none' }))).toBe('login_required');
    expect(redirectError(await authorize({ code_challenge_method: 'plain' }))).toBe('invalid_request');
    expect(redirectError(await authorize({ response_mode: 'fragment' }))).toBe('invalid_request');
    expect(redirectError(await authorize({ request: 'eyJhbGciOiJub25lIn0.e30.' }))).toBe('request_not_supported');
    expect(document).toMatchObject({ request_parameter_supported: false, request_uri_parameter_supported: false });
  });

  it('lists userinfo, end-session, revocation, introspection and the revocation feed where they answer', async () => {
    const userinfo = await fetch(document.userinfo_endpoint as string);
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toBe('Bearer realm="inkan"');
    expect((await fetch(document.end_session_endpoint as string)).status).toBe(200);
    expect((await fetch(document.revocation_feed_endpoint as string)).status).toBe(401);
    expect((await fetch(document.revocation_endpoint as string)).status).toBe(405);
    expect((await fetch(document.introspection_endpoint as string)).status).toBe(405);
  });
});

describe('JWKS', () => {
  async function fetchJwks() {
    const { body: discovery } = await getJson<Discovery>(`${server.issuer}/.well-known/openid-configuration`);
    return { url: discovery.jwks_uri, ...(await getJson<{ keys: JWK[] }>(discovery.jwks_uri)) };
  }

  it('publishes exactly the active and the next key of RS256, of EdDSA and of ES256, public members only', async () => {
    const { response, body } = await fetchJwks();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/(jwk-set\+)?json/);
    expect(body.keys).toHaveLength(6);

    const rsa = body.keys.filter((key) => key.alg === 'RS256');
    const okp = body.keys.filter((key) => key.alg === 'EdDSA');
    const ec = body.keys.filter((key) => key.alg === 'ES256');
    expect(rsa).toHaveLength(2);
    expect(okp).toHaveLength(2);
    expect(ec).toHaveLength(2);
    const { keys: stored } = await server.deps.stores.keys.snapshot();
    for (const [alg, published] of [['RS256', rsa], ['EdDSA', okp], ['ES256', ec]] as const) {
      const kidOf = (status: string) => stored.filter((key) => key.alg === alg && key.status === status).map((key) => key.kid);
      expect(published.map((key) => key.kid).sort()).toEqual([...kidOf('active'), ...kidOf('next')].sort());
      expect(kidOf('active')).toEqual([server.deps.keyring.signer(alg).kid]);
    }
    for (const key of rsa) {
      expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', e: expect.any(String), n: expect.any(String) });
      expect(crypto.createPublicKey({ key, format: 'jwk' }).asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);
    }
    for (const key of okp) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA', x: expect.any(String) });
      expect(Buffer.from(key.x!, 'base64url')).toHaveLength(32);
    }
    for (const key of ec) {
      // RFC 7518 §6.2.1: x and y are the full 32 bytes of a P-256 coordinate.
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256', x: expect.any(String), y: expect.any(String) });
      expect(Buffer.from(key.x!, 'base64url')).toHaveLength(32);
      expect(Buffer.from(key.y!, 'base64url')).toHaveLength(32);
      expect(crypto.createPublicKey({ key, format: 'jwk' }).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    }

    for (const key of body.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) expect(key).not.toHaveProperty(member);
      expect(key.kid).toBe(await calculateJwkThumbprint(key, 'sha256'));
    }
  });

  it('is cacheable for JWKS_MAX_AGE seconds and answers a matching If-None-Match with 304', async () => {
    const { response, url } = await fetchJwks();
    const cacheControl = response.headers.get('cache-control') ?? '';
    expect(cacheControl).toMatch(/(^|,\s*)max-age=\d+/);
    expect(Number(/max-age=(\d+)/.exec(cacheControl)?.[1])).toBe(JWKS_MAX_AGE_SECONDS);
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^(W\/)?".+"$/);

    const again = await fetch(url, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);

    const stale = await fetch(url, { headers: { 'if-none-match': '"something-else"' } });
    expect(stale.status).toBe(200);
    expect(((await stale.json()) as { keys: unknown[] }).keys).toHaveLength(6);
  });
});

describe('the JWKS answer, prepared once per key set', () => {
  const PER_REQUEST = new Set(['x-request-id', 'date', 'connection', 'keep-alive']);
  /** Everything but the headers that change per request (X-Request-Id, Date) and node's connection management. */
  async function jwksAnswer(init?: RequestInit): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const response = await fetch(`${server.url}/jwks`, init);
    const headers = Object.fromEntries([...response.headers].filter(([name]) => !PER_REQUEST.has(name)));
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    return { status: response.status, headers, body: await response.text() };
  }

  it('carries exactly its headers, for GET, HEAD and a 304, and a key change serves the new set at once with its own ETag', async () => {
    const before = await jwksAnswer();
    const expected = (body: string, etag: string) => ({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'WWW-Authenticate, DPoP-Nonce, Retry-After',
      'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
      'content-length': String(Buffer.byteLength(body)),
      'content-type': 'application/jwk-set+json',
      etag,
      'x-content-type-options': 'nosniff',
    });
    const etag = before.headers.etag!;
    expect(before).toEqual({ status: 200, headers: expected(before.body, etag), body: before.body });
    expect(await jwksAnswer({ method: 'HEAD' })).toEqual({ status: 200, headers: expected(before.body, etag), body: '' });
    const notModifiedHeaders = Object.fromEntries(Object.entries(expected(before.body, etag)).filter(([name]) => !name.startsWith('content-')));
    expect(await jwksAnswer({ headers: { 'if-none-match': etag } })).toEqual({ status: 304, headers: notModifiedHeaders, body: '' });

    // A key published now (--unpublished: no waiting for JWKS_MAX_AGE) is in the very next answers
    // once the server has seen the change (its key poll, 1 s).
    const rotated = await server.cli(['keys', 'rotate', '--alg', 'EdDSA', '--unpublished']);
    expect(rotated.code).toBe(0);
    const kid = rotated.json<{ active: Array<{ kid: string }> }>().active[0]!.kid;
    let after = before;
    await eventually(async () => {
      after = await jwksAnswer();
      return after.body.includes(kid);
    }, 10_000, 50);
    expect(after.headers.etag).not.toBe(etag);
    expect(after).toEqual({ status: 200, headers: expected(after.body, after.headers.etag!), body: after.body });
    expect((JSON.parse(after.body) as { keys: JWK[] }).keys).toHaveLength(7);
    expect((await jwksAnswer({ headers: { 'if-none-match': etag } })).status).toBe(200);
    expect((await jwksAnswer({ headers: { 'if-none-match': after.headers.etag! } })).status).toBe(304);
  });
});

describe('health', () => {
  it('/healthz answers 200', async () => {
    expect((await fetch(`${server.issuer}/healthz`)).status).toBe(200);
  });

  it('/readyz answers 200 once the database answers and both algs have an active key', async () => {
    const response = await fetch(`${server.issuer}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready' });
  });
});
