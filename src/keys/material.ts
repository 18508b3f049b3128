/**
 * Making and reading key pairs: generation, the RFC 7638 thumbprint used as `kid`, and the public
 * JWK that the JWKS publishes (public members only, with `use`, `alg` and `kid`).
 */
import crypto, { type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningAlg } from '../storage/keys.js';

export const RSA_MODULUS_BITS = 2048;

export interface KeyPair {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicJwk: JWK;
  readonly privateKey: KeyObject;
}

/** ES256 keys are on P-256 only (RFC 7518 §3.4): the curve is part of the algorithm. */
export const ES256_CURVE = 'P-256';

export function generateKeyPairObject(alg: SigningAlg): KeyObject {
  switch (alg) {
    case 'RS256':
      return freshPrivateKey('rsa', { modulusLength: RSA_MODULUS_BITS });
    case 'EdDSA':
      return freshPrivateKey('ed25519');
    case 'ES256':
      return freshPrivateKey('ec', { namedCurve: ES256_CURVE });
  }
}

/** Key types generated here; the options are those of `crypto.generateKeyPairSync` for the type. */
export type GeneratedKeyType = 'rsa' | 'ec' | 'ed25519' | 'ed448';

/**
 * A new private key that shares nothing with the job that generated it. In Node 20 the native
 * key-generation job, when the garbage collector destroys it, locks the mutex of the key it made;
 * an export of that key (JWK, PEM or DER) holds the same mutex while it allocates, so a collection
 * in between deadlocks the process (seen in the test suite: ExportJWK → GC → ~KeyPairGenConfig →
 * mutex, the worker asleep forever). The job hands out the key as a JWK instead (encoded while the
 * job is alive), and the key is imported from it into a KeyObject with a mutex of its own.
 */
export function freshPrivateKey(type: GeneratedKeyType, options: Readonly<Record<string, unknown>> = {}): KeyObject {
  // @types/node lacks the documented `format: 'jwk'` encoding of generated keys.
  const generate = crypto.generateKeyPairSync as unknown as (type: string, options: object) => { privateKey: crypto.JsonWebKey };
  const { privateKey } = generate(type, { ...options, publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } });
  return crypto.createPrivateKey({ key: privateKey, format: 'jwk' });
}

/**
 * The public members of a JWK, by key type: what a verifier needs, and (in lexicographic order)
 * what RFC 7638 §3.2 hashes: `e kty n` (RSA), `crv kty x` (OKP, RFC 8037 §2), `crv kty x y` (EC).
 */
function publicMembers(jwk: JWK): JWK {
  switch (jwk.kty) {
    case 'RSA':
      return { e: jwk.e, kty: jwk.kty, n: jwk.n };
    case 'EC':
      return { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
    default:
      return { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  }
}

/**
 * RFC 7638 §3: SHA-256 over the required members in lexicographic order, no white space. Written
 * out (jose's version is async, WebCrypto-based) so that planning a rotation stays synchronous;
 * the tests compare it with jose's `calculateJwkThumbprint`.
 */
export function jwkThumbprint(jwk: JWK): string {
  return crypto.createHash('sha256').update(JSON.stringify(publicMembers(jwk))).digest('base64url');
}

/** The public JWK of a private key, with only the members a verifier needs. */
export function describeKeyPair(alg: SigningAlg, privateKey: KeyObject): KeyPair {
  const members = publicMembers(crypto.createPublicKey(privateKey).export({ format: 'jwk' }) as JWK);
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
