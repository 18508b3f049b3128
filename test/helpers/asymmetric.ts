/**
 * Fixtures for the asymmetric-client tests (test/flows/asymmetric-clients/) and the SDK's DPoP
 * tests: real key pairs, private_key_jwt clients registered through the CLI (with a JWKS file or a
 * jwks_uri served by a tiny local server), hand-made client assertions and DPoP proofs (for the
 * bad-input tests; the good paths use openid-client), and small HTTP helpers.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { registerClient, type RegisteredClient } from './clients.js';
import type { TestServer } from './inkan.js';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface KeyPair {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function keyPair(alg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA', kid: string = crypto.randomUUID()): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig' };
  return { alg, kid, privateKey, publicKey, publicJwk };
}

export async function thumbprint(key: KeyPair): Promise<string> {
  return calculateJwkThumbprint(key.publicJwk, 'sha256');
}

/** Registers a private_key_jwt client with its JWKS in a file (`--jwks-file`). */
export async function registerKeyClient(server: TestServer, keys: readonly KeyPair[], extra: readonly string[] = []): Promise<RegisteredClient> {
  const file = path.join(server.dir, `jwks-${crypto.randomUUID()}.json`);
  fs.writeFileSync(file, JSON.stringify({ keys: keys.map((key) => key.publicJwk) }));
  return registerClient(server, ['--name', 'key-client', '--auth-method', 'private_key_jwt', '--jwks-file', file, '--scope', 'read write', ...extra]);
}

/** A local jwks_uri: serves whatever `keys` holds now, counts requests. */
export interface JwksServer {
  readonly url: string;
  keys: JWK[];
  hits: number;
  close(): Promise<void>;
}

export async function jwksServer(keys: JWK[]): Promise<JwksServer> {
  const state = { keys, hits: 0 };
  const server = http.createServer((_req, res) => {
    state.hits += 1;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as JwksServer;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A client assertion; `claims` overrides any default claim (undefined removes it). */
export async function assertion(
  key: KeyPair,
  clientId: string,
  audience: string | string[],
  options: { claims?: Record<string, unknown>; header?: Record<string, unknown>; alg?: string } = {},
): Promise<string> {
  const now = nowSeconds();
  const claims: Record<string, unknown> = { iss: clientId, sub: clientId, aud: audience, iat: now, exp: now + 60, jti: crypto.randomUUID(), ...options.claims };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? key.alg, kid: key.kid, ...options.header }).sign(key.privateKey);
}

/** An unsigned JWT (`alg: none`), as an attacker would send it. */
export function unsignedJwt(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ ...header, alg: 'none' })}.${part(claims)}.`;
}

/** An HS256 JWT MACed with `secret`. */
export function hs256Jwt(header: Record<string, unknown>, claims: Record<string, unknown>, secret: Buffer): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ ...header, alg: 'HS256' })}.${part(claims)}`;
  return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function assertionClaims(clientId: string, audience: string): Record<string, unknown> {
  const now = nowSeconds();
  return { iss: clientId, sub: clientId, aud: audience, iat: now, exp: now + 60, jti: crypto.randomUUID() };
}

/** A DPoP proof; `claims` overrides defaults (undefined removes one), `header` the protected header. */
export async function dpopProof(
  key: KeyPair,
  method: string,
  url: string,
  options: { claims?: Record<string, unknown>; header?: Record<string, unknown>; accessToken?: string; nonce?: string } = {},
): Promise<string> {
  const { kid: _kid, use: _use, ...jwk } = key.publicJwk;
  const claims: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    htm: method,
    htu: url,
    iat: nowSeconds(),
    ...(options.accessToken === undefined ? {} : { ath: crypto.createHash('sha256').update(options.accessToken).digest('base64url') }),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...options.claims,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk, ...options.header }).sign(key.privateKey);
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export function decodePayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
