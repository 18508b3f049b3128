/**
 * The verifier SDK against a real Inkan over HTTP: a good token verifies with no request to the
 * issuer, and each bad token named in the issue is refused with its own error code.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, VerifierError, type Verifier, type VerifierErrorCode } from '@inkan/verifier';
import { verifierMiddleware } from '@inkan/verifier/koa';
import { startInkan, ROOT, type TestServer } from '../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../helpers/clients.js';
import { freshPrivateKey } from '../../src/keys/material.js';

let server: TestServer;
let client: RegisteredClient;
const API = 'https://api.example.com';

async function tokenFor(c: RegisteredClient, params: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(c), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
  });
  const body = (await response.json()) as { access_token: string };
  expect(response.status).toBe(200);
  return body.access_token;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function rejection(verifier: Verifier, token: string): Promise<VerifierErrorCode> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(VerifierError);
  return (error as VerifierError).code;
}

function offlineVerifier(overrides: Partial<Parameters<typeof createVerifier>[0]> = {}): Verifier {
  return createVerifier({ issuer: server.issuer, audience: API, revocation: 'off', ...overrides });
}

beforeAll(async () => {
  server = await startInkan();
  client = await registerClient(server, ['--name', 'svc', '--scope', 'read write', '--resources', `${API},https://other.example.com`, '--alg', 'EdDSA']);
});
afterAll(async () => {
  await server.stop();
});

describe('a good token', () => {
  it('verifies to its claims with no request to the issuer per verification', async () => {
    const verifier = offlineVerifier();
    const token = await tokenFor(client, { resource: API, scope: 'read' });
    const claims = await verifier.verify(token);
    expect(claims).toMatchObject({ iss: server.issuer, aud: API, sub: client.client_id, client_id: client.client_id, scope: 'read' });
    const before = verifier.stats().issuerRequests;
    for (let i = 0; i < 20; i += 1) await verifier.verify(token);
    expect(verifier.stats().issuerRequests).toBe(before);
    expect(verifier.stats().verified).toBe(21);
    await verifier.close();
  });

  it('verifies RS256 tokens with the RS256 key', async () => {
    const rsaClient = await registerClient(server, ['--name', 'rsa', '--resources', API, '--alg', 'RS256']);
    const verifier = offlineVerifier();
    await expect(verifier.verify(await tokenFor(rsaClient, { resource: API }))).resolves.toMatchObject({ client_id: rsaClient.client_id });
    await verifier.close();
  });

  it('verifies ES256 tokens with the ES256 key; the same token relabelled EdDSA, or with a DER signature, is refused', async () => {
    const ecClient = await registerClient(server, ['--name', 'ec', '--resources', API, '--alg', 'ES256']);
    const verifier = offlineVerifier();
    const token = await tokenFor(ecClient, { resource: API });
    const [encodedHeader, payload, signature] = token.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString()) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ client_id: ecClient.client_id, aud: API });
    // The key's alg decides, never the header's.
    expect(await rejection(verifier, `${b64({ ...header, alg: 'EdDSA' })}.${payload}.${signature}`)).toBe('ERR_ALG_NOT_ALLOWED');
    // RFC 7518 §3.4: R || S, not the DER form OpenSSL writes by default.
    const raw = Buffer.from(signature, 'base64url');
    expect(raw).toHaveLength(64);
    const integer = (half: Buffer) => {
      const trimmed = half.subarray(half.findIndex((byte) => byte !== 0));
      const positive = trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
      return Buffer.concat([Buffer.from([0x02, positive.length]), positive]);
    };
    const body = Buffer.concat([integer(raw.subarray(0, 32)), integer(raw.subarray(32))]);
    const der = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    expect(await rejection(verifier, `${encodedHeader}.${payload}.${der.toString('base64url')}`)).toBe('ERR_SIGNATURE_INVALID');
    await verifier.close();
  });
});

describe('bad tokens, each with its own code', () => {
  let verifier: Verifier;
  let good: string;
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  beforeAll(async () => {
    verifier = offlineVerifier({ jwksCooldownSeconds: 60 });
    good = await tokenFor(client, { resource: API });
    header = JSON.parse(Buffer.from(good.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    payload = JSON.parse(Buffer.from(good.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  });
  afterAll(async () => {
    await verifier.close();
  });

  it('a forged signature under a valid-looking kid: ERR_SIGNATURE_INVALID', async () => {
    const forger = freshPrivateKey('ed25519');
    const input = `${b64(header)}.${b64({ ...payload, sub: 'admin' })}`;
    const forged = `${input}.${crypto.sign(null, Buffer.from(input), forger).toString('base64url')}`;
    expect(await rejection(verifier, forged)).toBe('ERR_SIGNATURE_INVALID');
  });

  it('alg none: ERR_ALG_NOT_ALLOWED', async () => {
    const none = `${b64({ ...header, alg: 'none' })}.${b64(payload)}.`;
    expect(await rejection(verifier, none)).toBe('ERR_ALG_NOT_ALLOWED');
  });

  it('HS256 keyed with the public key: ERR_ALG_NOT_ALLOWED', async () => {
    const jwks = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: Array<Record<string, string>> };
    const publicJwk = jwks.keys.find((key) => key.kid === header.kid)!;
    const input = `${b64({ ...header, alg: 'HS256' })}.${b64(payload)}`;
    for (const secret of [Buffer.from(publicJwk.x!, 'base64url'), Buffer.from(JSON.stringify(publicJwk))]) {
      const hs = `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
      expect(await rejection(verifier, hs)).toBe('ERR_ALG_NOT_ALLOWED');
    }
  });

  it('an alg other than the key\'s (RS256 claimed on an Ed25519 kid): ERR_ALG_NOT_ALLOWED', async () => {
    const other = `${b64({ ...header, alg: 'RS256' })}.${good.split('.').slice(1).join('.')}`;
    expect(await rejection(verifier, other)).toBe('ERR_ALG_NOT_ALLOWED');
  });

  it('a token for another audience: ERR_AUDIENCE_INVALID', async () => {
    expect(await rejection(verifier, await tokenFor(client, { resource: 'https://other.example.com' }))).toBe('ERR_AUDIENCE_INVALID');
  });

  it('an expired token: ERR_TOKEN_EXPIRED', async () => {
    const later = offlineVerifier({ now: () => Date.now() + 1000 * 1000 });
    expect(await rejection(later, good)).toBe('ERR_TOKEN_EXPIRED');
    await later.close();
  });

  it('an ID-token-shaped JWT (typ JWT) signed by Inkan: ERR_TYP_INVALID', async () => {
    const idToken = server.deps.keyring.signer('EdDSA').sign('JWT', { ...payload, nonce: 'n', azp: client.client_id });
    expect(await rejection(verifier, idToken)).toBe('ERR_TYP_INVALID');
    const noTyp = `${b64({ alg: header.alg, kid: header.kid })}.${good.split('.').slice(1).join('.')}`;
    expect(await rejection(verifier, noTyp)).toBe('ERR_TYP_INVALID');
  });

  it('another issuer: ERR_ISSUER_INVALID; a future nbf or iat: ERR_TOKEN_NOT_YET_VALID; a missing client_id: ERR_CLAIM_INVALID', async () => {
    const sign = (claims: Record<string, unknown>) => server.deps.keyring.signer('EdDSA').sign('at+jwt', claims);
    expect(await rejection(verifier, sign({ ...payload, iss: 'https://evil.example.com' }))).toBe('ERR_ISSUER_INVALID');
    const now = Math.floor(Date.now() / 1000);
    expect(await rejection(verifier, sign({ ...payload, nbf: now + 600 }))).toBe('ERR_TOKEN_NOT_YET_VALID');
    expect(await rejection(verifier, sign({ ...payload, iat: now + 600, exp: now + 1200 }))).toBe('ERR_TOKEN_NOT_YET_VALID');
    const { client_id: _dropped, ...withoutClientId } = payload;
    expect(await rejection(verifier, sign(withoutClientId))).toBe('ERR_CLAIM_INVALID');
  });

  it('an unknown kid: ERR_UNKNOWN_KID, with at most one JWKS refetch per cooldown', async () => {
    const unknown = `${b64({ ...header, kid: 'no-such-kid' })}.${good.split('.').slice(1).join('.')}`;
    const before = verifier.stats().issuerRequests;
    expect(await rejection(verifier, unknown)).toBe('ERR_UNKNOWN_KID');
    expect(await rejection(verifier, unknown)).toBe('ERR_UNKNOWN_KID');
    await Promise.all(Array.from({ length: 10 }, () => rejection(verifier, unknown)));
    expect(verifier.stats().issuerRequests - before).toBeLessThanOrEqual(1);
  });

  it('garbage: ERR_TOKEN_MALFORMED', async () => {
    for (const garbage of ['', 'abc', 'a.b', '!!!.e30.', `${b64('text')}.e30.sig`]) {
      expect(await rejection(verifier, garbage)).toBe('ERR_TOKEN_MALFORMED');
    }
  });
});

describe('keys', () => {
  it('picks up a rotated key by refetching the JWKS once on its unknown kid', async () => {
    const verifier = offlineVerifier({ jwksCooldownSeconds: 0 });
    await verifier.verify(await tokenFor(client, { resource: API }));
    // --unpublished: a key that was never in the JWKS the verifier holds (a plain rotation promotes
    // the next key, which it holds already).
    const rotated = await server.cli(['keys', 'rotate', '--alg', 'EdDSA', '--unpublished']);
    expect(rotated.code).toBe(0);
    await server.deps.keyring.refresh();
    const before = verifier.stats().issuerRequests;
    await expect(verifier.verify(await tokenFor(client, { resource: API }))).resolves.toMatchObject({ sub: client.client_id });
    expect(verifier.stats().issuerRequests - before).toBe(1);
    await verifier.close();
  });

  it('reports an unreachable issuer as ERR_ISSUER_UNAVAILABLE', async () => {
    const verifier = createVerifier({ issuer: 'http://127.0.0.1:9', audience: API, revocation: 'off' });
    expect(await rejection(verifier, 'a.b.c')).toBe('ERR_ISSUER_UNAVAILABLE');
    await verifier.close();
  });
});

describe('the Koa middleware (RFC 6750)', () => {
  let api: http.Server;
  let url: string;
  let verifier: Verifier;
  beforeAll(async () => {
    verifier = offlineVerifier();
    const app = new Koa();
    app.use(verifierMiddleware(verifier, { realm: 'test', requiredScopes: ['read'] }));
    app.use((ctx) => {
      ctx.body = { sub: ctx.state.accessToken.sub };
    });
    api = http.createServer(app.callback());
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await verifier.close();
    await new Promise((resolve) => api.close(resolve));
  });

  it('lets a good token through and puts its claims in ctx.state', async () => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${await tokenFor(client, { resource: API, scope: 'read' })}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: client.client_id });
  });

  it('answers 401 with a bare challenge without credentials', async () => {
    const response = await fetch(url);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="test"');
  });

  it('answers 401 invalid_token for a bad token, 400 for a malformed header, 403 for a missing scope', async () => {
    const bad = await fetch(url, { headers: { authorization: 'Bearer a.b.c' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer realm="test", error="invalid_token", error_description="/);
    const malformed = await fetch(url, { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toBe('invalid_request');
    const writeOnly = await fetch(url, { headers: { authorization: `Bearer ${await tokenFor(client, { resource: API, scope: 'write' })}` } });
    expect(writeOnly.status).toBe(403);
    expect(writeOnly.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(writeOnly.headers.get('www-authenticate')).toContain('scope="read"');
  });
});

it('the SDK imports nothing from the server: jose and Node built-ins, Koa and Express types in their adapters only', () => {
  const dir = path.join(ROOT, 'packages/verifier/src');
  const adapterOf: Record<string, string> = { koa: 'koa.ts', express: 'express.ts' };
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
  expect(files).toEqual(expect.arrayContaining(['index.ts', 'verifier.ts', 'koa.ts', 'express.ts', path.join('protocol', 'index.ts')]));
  for (const file of files) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const [statement, specifier] of source.matchAll(/^(?:import|export)[^;]*? from '([^']+)'/gm)) {
      const inside = specifier!.startsWith('.') && !path.relative(dir, path.resolve(dir, path.dirname(file), specifier!)).startsWith('..');
      const allowed = inside || specifier === 'jose' || specifier!.startsWith('node:') || (adapterOf[specifier!] === file && statement.startsWith('import type'));
      expect(allowed, `${file} imports ${specifier}`).toBe(true);
    }
  }
});
