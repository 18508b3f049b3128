/**
 * What a relying party reads before it trusts a token: the two discovery documents (the same
 * document under both names, listing what works) and the JWKS (public members only, one key per
 * alg, kid = RFC 7638 thumbprint, cacheable with an ETag). Plus the health endpoints.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { startInkan, type TestServer } from '../helpers/inkan.js';

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
    expect(document.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'EdDSA']));
  });

  it('lists endpoints that answer', async () => {
    const { body } = await getJson<Discovery>(`${server.issuer}/.well-known/openid-configuration`);
    expect((await fetch(body.jwks_uri)).status).toBe(200);
    // The token endpoint exists (it refuses a GET with 405 rather than 404).
    expect((await fetch(body.token_endpoint)).status).toBe(405);
  });
});

describe('JWKS', () => {
  async function fetchJwks() {
    const { body: discovery } = await getJson<Discovery>(`${server.issuer}/.well-known/openid-configuration`);
    return { url: discovery.jwks_uri, ...(await getJson<{ keys: JWK[] }>(discovery.jwks_uri)) };
  }

  it('publishes exactly one RS256 and one EdDSA key, public members only', async () => {
    const { response, body } = await fetchJwks();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/(jwk-set\+)?json/);
    expect(body.keys).toHaveLength(2);

    const rsa = body.keys.filter((key) => key.alg === 'RS256');
    const okp = body.keys.filter((key) => key.alg === 'EdDSA');
    expect(rsa).toHaveLength(1);
    expect(okp).toHaveLength(1);
    expect(rsa[0]).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', e: expect.any(String), n: expect.any(String) });
    expect(okp[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA', x: expect.any(String) });

    const rsaBits = crypto.createPublicKey({ key: rsa[0]!, format: 'jwk' }).asymmetricKeyDetails?.modulusLength;
    expect(rsaBits).toBeGreaterThanOrEqual(2048);
    expect(Buffer.from(okp[0]!.x!, 'base64url')).toHaveLength(32);

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
    expect(((await stale.json()) as { keys: unknown[] }).keys).toHaveLength(2);
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
