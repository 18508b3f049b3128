/**
 * A tiny foreign issuer for the federated workload tests, shaped like a Kubernetes cluster's
 * service-account issuer: a node:http server on 127.0.0.1 serving its discovery document and JWK
 * Set, and minting service-account-like tokens with jose (`sub` system:serviceaccount:NS:NAME, an
 * `aud` array, `iat`/`nbf`/`exp`, `jti`, the `kubernetes.io` claim). Its misbehaviours are chosen
 * per instance: a discovery document naming another issuer, a JWK Set larger than Inkan's limit,
 * a JWK Set behind a redirect, no discovery at all.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { keyPair, type KeyPair } from '../../helpers/asymmetric.js';
import { recordSecrets } from '../../helpers/secrets.js';

export const SERVICE_ACCOUNT = 'system:serviceaccount:reports:nightly-export';

export interface IssuerOptions {
  /** What the discovery document says the issuer is (default: the issuer itself). */
  readonly discoveryIssuer?: (issuer: string) => string;
  /** 404 for the discovery document: keys only through a registered JWKS URI. */
  readonly noDiscovery?: boolean;
  /** The JWK Set answer: the keys, ~100 KB of keys, or a 302 to the real set. */
  readonly jwks?: 'keys' | 'oversized' | 'redirect';
  readonly alg?: 'RS256' | 'ES256';
}

export interface ExternalIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  /** The key that signs; `published` is what the JWK Set holds. */
  signer: KeyPair;
  published: KeyPair[];
  readonly hits: { discovery: number; jwks: number };
  /** A token; `claims` overrides defaults (undefined removes one). */
  mint(audience: string | string[], options?: { claims?: Record<string, unknown>; key?: KeyPair; header?: Record<string, unknown> }): Promise<string>;
  /** A new key that signs from now on and is published alongside the old one (a rotation). */
  rotate(): Promise<KeyPair>;
  close(): Promise<void>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export async function externalIssuer(options: IssuerOptions = {}): Promise<ExternalIssuer> {
  const alg = options.alg ?? 'RS256';
  const first = await keyPair(alg);
  let base = '';
  const state = { signer: first, published: [first], hits: { discovery: 0, jwks: 0 } };
  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      state.hits.discovery += 1;
      if (options.noDiscovery === true) {
        res.writeHead(404).end();
        return;
      }
      const issuer = options.discoveryIssuer?.(base) ?? base;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer, jwks_uri: `${base}/openid/v1/jwks`, response_types_supported: ['id_token'], id_token_signing_alg_values_supported: [alg] }));
      return;
    }
    if (req.url === '/openid/v1/jwks' || req.url === '/real/jwks') {
      state.hits.jwks += 1;
      if (options.jwks === 'redirect' && req.url === '/openid/v1/jwks') {
        res.writeHead(302, { location: `${base}/real/jwks` }).end();
        return;
      }
      const keys = state.published.map((key) => key.publicJwk);
      // Without a Content-Length (chunked), so the limit is enforced while reading.
      const padding = options.jwks === 'oversized' ? Array.from({ length: 400 }, () => ({ ...keys[0], kid: crypto.randomBytes(120).toString('hex') })) : [];
      res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=3600' });
      res.write(JSON.stringify({ keys: [...keys, ...padding] }));
      res.end();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return Object.assign(state, {
    issuer: base,
    jwksUri: `${base}/openid/v1/jwks`,
    async mint(audience: string | string[], mintOptions: { claims?: Record<string, unknown>; key?: KeyPair; header?: Record<string, unknown> } = {}) {
      const key = mintOptions.key ?? state.signer;
      const now = nowSeconds();
      const claims: Record<string, unknown> = {
        iss: base,
        sub: SERVICE_ACCOUNT,
        aud: audience,
        iat: now,
        nbf: now,
        exp: now + 600,
        jti: crypto.randomUUID(),
        'kubernetes.io': { namespace: 'reports', serviceaccount: { name: 'nightly-export', uid: crypto.randomUUID() } },
        ...mintOptions.claims,
      };
      for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
      const token = await new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, ...mintOptions.header }).sign(key.privateKey);
      recordSecrets(token);
      return token;
    },
    async rotate() {
      const next = await keyPair(alg);
      state.signer = next;
      state.published = [...state.published, next];
      return next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as ExternalIssuer;
}
