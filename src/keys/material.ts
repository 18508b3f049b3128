/**
 * Making and reading key pairs: generation, the RFC 7638 thumbprint used as `kid`, and the public
 * JWK that the JWKS publishes (public members only, with `use`, `alg` and `kid`).
 */
import crypto, { type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningAlg } from '../storage/stores.js';

export const RSA_MODULUS_BITS = 2048;

export interface KeyPair {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicJwk: JWK;
  readonly privateKey: KeyObject;
}

export function generateKeyPairObject(alg: SigningAlg): KeyObject {
  return alg === 'RS256'
    ? crypto.generateKeyPairSync('rsa', { modulusLength: RSA_MODULUS_BITS }).privateKey
    : crypto.generateKeyPairSync('ed25519').privateKey;
}

/**
 * RFC 7638 §3: SHA-256 over the required members in lexicographic order, no white space. Written
 * out (jose's version is async, WebCrypto-based) so that planning a rotation stays synchronous;
 * the tests compare it with jose's `calculateJwkThumbprint`.
 */
export function jwkThumbprint(jwk: JWK): string {
  const required = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return crypto.createHash('sha256').update(JSON.stringify(required)).digest('base64url');
}

/** The public JWK of a private key, with only the members a verifier needs. */
export function describeKeyPair(alg: SigningAlg, privateKey: KeyObject): KeyPair {
  const full = crypto.createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const members: JWK =
    full.kty === 'RSA' ? { kty: 'RSA', n: full.n, e: full.e } : { kty: 'OKP', crv: full.crv, x: full.x };
  const kid = jwkThumbprint(members);
  return { kid, alg, privateKey, publicJwk: { ...members, kid, alg, use: 'sig' } };
}

export function generateKeyPair(alg: SigningAlg): KeyPair {
  return describeKeyPair(alg, generateKeyPairObject(alg));
}

export function exportPkcs8(privateKey: KeyObject): Buffer {
  return privateKey.export({ format: 'der', type: 'pkcs8' });
}

export function importPkcs8(der: Buffer): KeyObject {
  return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
