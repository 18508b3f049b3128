/**
 * The verifier SDK (`@inkan/verifier`) at a resource server: a DPoP-bound token verifies only with a
 * valid proof of its key (signature, htm, htu, iat, ath, jkt, single use), each failure with its
 * own code; the Koa middleware takes the DPoP scheme (openid-client's fetchProtectedResource with
 * a DPoP handle gets through) and refuses the bound token as Bearer; its `htu` check uses the
 * configured origin, so a forged Host header cannot make a proof for another origin pass, and
 * without an origin it refuses the DPoP scheme.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, VerifierError, type Verifier, type VerifierErrorCode, type VerifyOptions } from '@inkan/verifier';
import { verifierMiddleware } from '@inkan/verifier/koa';
import { startInkan, type TestServer } from '../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../helpers/clients.js';
import { dpopProof, keyPair, postForm, type KeyPair } from '../helpers/asymmetric.js';

const API = 'https://api.example.com';
const RESOURCE_URL = `${API}/orders`;

let server: TestServer;
let client: RegisteredClient;
let verifier: Verifier;
let key: KeyPair;
let otherKey: KeyPair;
let bound: string;
let unbound: string;

async function token(proofKey: KeyPair | undefined): Promise<string> {
  const headers: Record<string, string> = { authorization: basicAuth(client) };
  if (proofKey !== undefined) headers.dpop = await dpopProof(proofKey, 'POST', `${server.issuer}/token`);
  const answer = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', resource: API }, headers);
  expect(answer.status).toBe(200);
  return answer.body.access_token as string;
}

beforeAll(async () => {
  server = await startInkan();
  client = await registerClient(server, ['--name', 'svc', '--scope', 'read', '--resources', API]);
  verifier = createVerifier({ issuer: server.issuer, audience: API, revocation: 'off' });
  key = await keyPair('EdDSA');
  otherKey = await keyPair('EdDSA');
  bound = await token(key);
  unbound = await token(undefined);
});
afterAll(async () => {
  await verifier.close();
  await server.stop();
});

async function rejection(accessToken: string, options?: VerifyOptions): Promise<VerifierErrorCode> {
  const error = await verifier.verify(accessToken, options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(VerifierError);
  return (error as VerifierError).code;
}

const presentation = async (proofKey: KeyPair, options: Parameters<typeof dpopProof>[3] = {}, method = 'GET', url = RESOURCE_URL) => ({
  dpop: { proof: await dpopProof(proofKey, method, url, { accessToken: bound, ...options }), method: 'GET', url: RESOURCE_URL },
});

describe('verify(token, { dpop })', () => {
  it('accepts a DPoP-bound token with a valid proof of its key', async () => {
    const claims = await verifier.verify(bound, await presentation(key));
    expect(claims.cnf?.jkt).toEqual(expect.any(String));
    expect(claims.client_id).toBe(client.client_id);
  });

  it('refuses the bound token without a proof (as a Bearer token)', async () => {
    expect(await rejection(bound)).toBe('ERR_DPOP_PROOF_MISSING');
  });

  it('refuses a proof signed by another key than cnf.jkt', async () => {
    expect(await rejection(bound, await presentation(otherKey))).toBe('ERR_DPOP_KEY_MISMATCH');
  });

  it('refuses a replayed proof', async () => {
    const once = await presentation(key);
    await verifier.verify(bound, once);
    expect(await rejection(bound, once)).toBe('ERR_DPOP_REPLAYED');
  });

  it('refuses a wrong htm, a wrong htu, an old or future iat, a wrong ath', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await rejection(bound, await presentation(key, {}, 'POST'))).toBe('ERR_DPOP_HTM_MISMATCH');
    expect(await rejection(bound, await presentation(key, {}, 'GET', `${API}/other`))).toBe('ERR_DPOP_HTU_MISMATCH');
    expect(await rejection(bound, await presentation(key, { claims: { iat: now - 600 } }))).toBe('ERR_DPOP_IAT_INVALID');
    expect(await rejection(bound, await presentation(key, { claims: { iat: now + 600 } }))).toBe('ERR_DPOP_IAT_INVALID');
    expect(await rejection(bound, await presentation(key, { accessToken: unbound }))).toBe('ERR_DPOP_ATH_MISMATCH');
    expect(await rejection(bound, await presentation(key, { claims: { ath: undefined } }))).toBe('ERR_DPOP_ATH_MISMATCH');
  });

  it('refuses a malformed proof: wrong typ, alg none', async () => {
    expect(await rejection(bound, await presentation(key, { header: { typ: 'JWT' } }))).toBe('ERR_DPOP_PROOF_INVALID');
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const none = `${part({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk })}.${part({ jti: 'x', htm: 'GET', htu: RESOURCE_URL, iat: Math.floor(Date.now() / 1000) })}.`;
    expect(await rejection(bound, { dpop: { proof: none, method: 'GET', url: RESOURCE_URL } })).toBe('ERR_DPOP_PROOF_INVALID');
  });

  it('refuses an unbound token presented with a proof', async () => {
    const proof = await dpopProof(key, 'GET', RESOURCE_URL, { accessToken: unbound });
    expect(await rejection(unbound, { dpop: { proof, method: 'GET', url: RESOURCE_URL } })).toBe('ERR_DPOP_NOT_BOUND');
    expect((await verifier.verify(unbound)).cnf).toBeUndefined();
  });
});

/** A resource server on an ephemeral port; `options(origin)` gives the middleware's options once the port is known. */
async function resourceServer(options: (origin: string) => Parameters<typeof verifierMiddleware>[1]): Promise<{ api: http.Server; origin: string }> {
  let middleware: Koa.Middleware | undefined;
  const app = new Koa();
  app.use((ctx, next) => middleware!(ctx, next));
  app.use((ctx) => {
    ctx.body = { sub: (ctx.state as { accessToken: { sub: string } }).accessToken.sub };
  });
  const api = http.createServer(app.callback());
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  middleware = verifierMiddleware(verifier, options(origin)) as Koa.Middleware;
  return { api, origin };
}

/** A GET with a Host header of the caller's choosing (fetch would not send it). */
function getWithHost(origin: string, path: string, host: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(path, origin), { headers: { ...headers, host } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the Koa middleware with the DPoP scheme', () => {
  let api: http.Server;
  let origin: string;
  beforeAll(async () => {
    ({ api, origin } = await resourceServer((own) => ({ realm: 'test', requiredScopes: ['read'], origin: own })));
  });
  afterAll(async () => {
    await new Promise((resolve) => api.close(resolve));
  });

  it('checks htu against the configured origin: a forged Host cannot make a proof for another origin pass', async () => {
    const forged = 'attacker.example';
    const proof = await dpopProof(key, 'GET', `http://${forged}/orders`, { accessToken: bound });
    const answer = await getWithHost(origin, '/orders', forged, { authorization: `DPoP ${bound}`, dpop: proof });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_dpop_proof');
    // The same proof for the configured origin passes, whatever the Host header says.
    const honest = await dpopProof(key, 'GET', `${origin}/orders`, { accessToken: bound });
    expect((await getWithHost(origin, '/orders', forged, { authorization: `DPoP ${bound}`, dpop: honest })).status).toBe(200);
  });

  it('refuses an origin that is not one', () => {
    for (const bad of ['api.example.com', 'https://api.example.com/', 'https://api.example.com/v1', 'not a url']) {
      expect(() => verifierMiddleware(verifier, { origin: bad })).toThrow(/origin must be a scheme, host and optional port/);
    }
  });

  it('lets openid-client with a DPoP handle through', async () => {
    const config = await oidc.discovery(new URL(server.issuer), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret!), {
      execute: [oidc.allowInsecureRequests],
    });
    const dpop = oidc.getDPoPHandle(config, { privateKey: key.privateKey, publicKey: key.publicKey });
    const tokens = await oidc.clientCredentialsGrant(config, { resource: API }, { DPoP: dpop });
    const response = await oidc.fetchProtectedResource(config, tokens.access_token, new URL(`${origin}/orders?page=2`), 'GET', undefined, undefined, { DPoP: dpop });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: client.client_id });
  });

  it('answers a bound token sent as Bearer with 401 invalid_token', async () => {
    const response = await fetch(`${origin}/orders`, { headers: { authorization: `Bearer ${bound}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="test", error="invalid_token"/);
  });

  it('answers a bad proof with a DPoP invalid_dpop_proof challenge', async () => {
    const proof = await dpopProof(otherKey, 'GET', `${origin}/orders`, { accessToken: bound });
    const response = await fetch(`${origin}/orders`, { headers: { authorization: `DPoP ${bound}`, dpop: proof } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP realm="test", error="invalid_dpop_proof", error_description="[^"]+", algs="RS256 PS256 ES256 EdDSA Ed25519"$/);
    const missing = await fetch(`${origin}/orders`, { headers: { authorization: `DPoP ${bound}` } });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });
});

describe('the Koa middleware without an origin', () => {
  let api: http.Server;
  let origin: string;
  beforeAll(async () => {
    ({ api, origin } = await resourceServer(() => ({ realm: 'test' })));
  });
  afterAll(async () => {
    await new Promise((resolve) => api.close(resolve));
  });

  it('refuses the DPoP scheme, even with a proof for the Host the request names, and still takes Bearer', async () => {
    const host = new URL(origin).host;
    const proof = await dpopProof(key, 'GET', `${origin}/orders`, { accessToken: bound });
    const answer = await getWithHost(origin, '/orders', host, { authorization: `DPoP ${bound}`, dpop: proof });
    expect(answer).toEqual({
      status: 401,
      body: { error: 'invalid_dpop_proof', error_description: 'this resource server accepts no DPoP proofs: it has no configured origin' },
    });
    expect((await getWithHost(origin, '/orders', host, { authorization: `Bearer ${unbound}` })).status).toBe(200);
  });
});
