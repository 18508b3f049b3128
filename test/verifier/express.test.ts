/**
 * `@inkan/verifier/express` in a real Express app on an ephemeral port, against a real Inkan: a
 * Bearer token gets through with its claims in `res.locals`; no token is 401 with a bare challenge;
 * a token revoked with RFC 7009 is 401 within a second (the verifier is subscribed to the feed);
 * the DPoP `htu` is the configured origin + the path the client addressed, so neither a forged Host
 * nor X-Forwarded-* headers (with `trust proxy` on) make a proof for another origin pass, and a
 * router mounted under a prefix still checks the full path.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type AccessTokenClaims, type Verifier } from '@inkan/verifier';
import { verifierMiddleware } from '@inkan/verifier/express';
import { startInkan, type TestServer } from '../helpers/inkan.js';
import { clientCredentialsToken, discoveredEndpoint, registerClient, revokeToken, type RegisteredClient } from '../helpers/clients.js';
import { dpopProof, keyPair, type KeyPair } from '../helpers/asymmetric.js';

const API = 'https://orders.example.com';

let server: TestServer;
let shop: RegisteredClient;
let verifier: Verifier;
let api: http.Server;
let origin: string;
let key: KeyPair;

/** A GET with headers of the caller's choosing, Host included (fetch would not send that one). */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(path, origin), { headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

async function dpopBoundToken(): Promise<string> {
  const tokenEndpoint = await discoveredEndpoint(server.issuer, 'token_endpoint');
  return clientCredentialsToken(server.issuer, shop, { resource: API, scope: 'orders' }, { dpop: await dpopProof(key, 'POST', tokenEndpoint) });
}

beforeAll(async () => {
  server = await startInkan();
  const ordersApi = await registerClient(server, ['--name', 'orders-api', '--scope', 'revocations:read']);
  shop = await registerClient(server, ['--name', 'shop', '--scope', 'orders', '--resources', API]);
  verifier = createVerifier({ issuer: server.issuer, audience: API, clientId: ordersApi.client_id, clientSecret: ordersApi.client_secret, logger: { warn: () => {} } });
  await verifier.ready();
  key = await keyPair('EdDSA');

  // The origin is known once the port is: the middleware is made then, as a real deployment would
  // configure it.
  let handlers: express.Router | undefined;
  const app = express();
  app.set('trust proxy', true);
  app.use((req, res, next) => handlers!(req, res, next));
  api = http.createServer(app);
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

  const authenticated = verifierMiddleware(verifier, { realm: 'orders', origin, requiredScopes: ['orders'] });
  const answer = (_req: express.Request, res: express.Response<unknown, { accessToken: AccessTokenClaims }>) => {
    res.json({ sub: res.locals.accessToken.sub, scope: res.locals.accessToken.scope });
  };
  const v1 = express.Router();
  v1.get('/orders', authenticated, answer);
  handlers = express.Router();
  handlers.get('/orders', authenticated, answer);
  handlers.use('/v1', v1);
});

afterAll(async () => {
  await verifier?.close();
  await new Promise((resolve) => api?.close(resolve));
  await server?.stop();
});

describe('Bearer', () => {
  it('lets a good token through with its claims in res.locals', async () => {
    const token = await clientCredentialsToken(server.issuer, shop, { resource: API, scope: 'orders' });
    const answer = await get('/orders', { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ sub: shop.client_id, scope: 'orders' });
  });

  it('answers a request without a token with 401 and a bare challenge, not cached', async () => {
    const answer = await get('/orders');
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="orders"');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toBe('');
  });

  it('answers a token revoked with RFC 7009 with 401 invalid_token within a second', async () => {
    const token = await clientCredentialsToken(server.issuer, shop, { resource: API, scope: 'orders' });
    expect((await get('/orders', { authorization: `Bearer ${token}` })).status).toBe(200);
    await revokeToken(server.issuer, shop, token);
    const revokedAt = Date.now();
    let answer = await get('/orders', { authorization: `Bearer ${token}` });
    while (answer.status === 200 && Date.now() - revokedAt < 1000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      answer = await get('/orders', { authorization: `Bearer ${token}` });
    }
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="orders", error="invalid_token", error_description="the token was revoked \(jti\)"$/);
    expect(JSON.parse(answer.body)).toEqual({ error: 'invalid_token', error_description: 'the token was revoked (jti)' });
  });
});

describe('DPoP', () => {
  it('checks htu against the configured origin: a forged Host and X-Forwarded-* cannot make a proof for another origin pass', async () => {
    const bound = await dpopBoundToken();
    const forged = 'attacker.example';
    const proof = await dpopProof(key, 'GET', `https://${forged}/orders`, { accessToken: bound });
    const answer = await get('/orders', { host: forged, 'x-forwarded-host': forged, 'x-forwarded-proto': 'https', authorization: `DPoP ${bound}`, dpop: proof });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^DPoP realm="orders", error="invalid_dpop_proof", error_description="the DPoP proof htu is not the URL of this request", algs="/);
    expect(JSON.parse(answer.body)).toEqual({ error: 'invalid_dpop_proof', error_description: 'the DPoP proof htu is not the URL of this request' });
    // A proof for the configured origin passes, whatever Host says.
    const honest = await dpopProof(key, 'GET', `${origin}/orders`, { accessToken: bound });
    expect((await get('/orders', { host: forged, authorization: `DPoP ${bound}`, dpop: honest })).status).toBe(200);
  });

  it('checks the full path a client addressed, under a mounted router too', async () => {
    const bound = await dpopBoundToken();
    const full = await dpopProof(key, 'GET', `${origin}/v1/orders?page=2`, { accessToken: bound });
    expect((await get('/v1/orders?page=2', { authorization: `DPoP ${bound}`, dpop: full })).status).toBe(200);
    const stripped = await dpopProof(key, 'GET', `${origin}/orders`, { accessToken: bound });
    expect((await get('/v1/orders', { authorization: `DPoP ${bound}`, dpop: stripped })).status).toBe(401);
  });

  it('refuses the DPoP-bound token sent as Bearer', async () => {
    const answer = await get('/orders', { authorization: `Bearer ${await dpopBoundToken()}` });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="orders", error="invalid_token"/);
  });
});

it('refuses an origin that is not one when the middleware is made', () => {
  for (const bad of ['orders.example.com', 'https://orders.example.com/', 'https://orders.example.com/v1', 'not a url']) {
    expect(() => verifierMiddleware(verifier, { origin: bad })).toThrow(/origin must be a scheme, host and optional port/);
  }
});
