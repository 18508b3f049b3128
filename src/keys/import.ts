/**
 * Bring your own key: reads an operator's private key (PEM, PKCS#8 or PKCS#1, or a private JWK)
 * and accepts only what Inkan can sign with safely: RSA of at least 2048 bits (RS256), Ed25519
 * (EdDSA) or an EC key on P-256 (ES256). ES256 is ECDSA on P-256 by definition (RFC 7518 §3.4), so
 * an EC key on any other curve (P-384, P-521, secp256k1) is refused, named, rather than published
 * under an alg its curve does not fit. Everything else is refused with a one-line reason before
 * anything is stored. The kid is the key's RFC 7638 thumbprint, like that of every generated key
 * (a `kid` in the JWK is ignored).
 */
import crypto, { type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningAlg } from '../storage/keys.js';
import { describeKeyPair, ES256_CURVE, type KeyPair, RSA_MODULUS_BITS } from './material.js';

export class KeyImportError extends Error {
  override readonly name = 'KeyImportError';
}

const PRIVATE_JWK_MEMBERS: Readonly<Record<string, string>> = { RSA: 'd', OKP: 'd', EC: 'd' };

function parseJwk(text: string): KeyObject {
  let jwk: JWK & { keys?: unknown };
  try {
    jwk = JSON.parse(text) as JWK & { keys?: unknown };
  } catch {
    throw new KeyImportError('the file is neither PEM nor valid JSON (a JWK)');
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new KeyImportError('the JSON is not a JWK object');
  if (jwk.keys !== undefined) throw new KeyImportError('the file is a JWK Set; give a single private JWK');
  if (typeof jwk.kty !== 'string') throw new KeyImportError('the JWK has no "kty"');
  if (jwk.kty === 'oct') throw new KeyImportError('a symmetric (oct) key cannot sign tokens that verifiers check with the JWKS');
  const privateMember = PRIVATE_JWK_MEMBERS[jwk.kty];
  if (privateMember !== undefined && jwk[privateMember as keyof JWK] === undefined) {
    throw new KeyImportError('the JWK is a public key: it has no private part ("d")');
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new KeyImportError(`the JWK is for "use": ${JSON.stringify(jwk.use)}, not "sig"`);
  try {
    return crypto.createPrivateKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw new KeyImportError(`the JWK is not a valid private key (${(error as Error).message})`);
  }
}

function parsePem(text: string): KeyObject {
  if (/-----BEGIN (RSA )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(text)) {
    throw new KeyImportError('the PEM holds a public key or certificate: it has no private part');
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    throw new KeyImportError('the PEM private key is encrypted; decrypt it first (e.g. openssl pkey -in F -out plain.pem)');
  }
  try {
    return crypto.createPrivateKey({ key: text, format: 'pem' });
  } catch (error) {
    throw new KeyImportError(`the PEM is not a valid private key (${(error as Error).message})`);
  }
}

function algFor(privateKey: KeyObject): SigningAlg {
  const type = privateKey.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < RSA_MODULUS_BITS) throw new KeyImportError(`the RSA key has ${bits} bits; at least ${RSA_MODULUS_BITS} are required`);
    return 'RS256';
  }
  if (type === 'ed25519') return 'EdDSA';
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  if (type === 'ec') {
    // Node names P-256 by its OpenSSL name.
    if (curve === 'prime256v1') return 'ES256';
    throw new KeyImportError(`the EC key is on curve ${EC_CURVE_NAMES[curve ?? ''] ?? curve ?? 'unknown'}; ES256 needs an EC key on ${ES256_CURVE}`);
  }
  throw new KeyImportError(
    `unsupported key type ${type ?? 'unknown'}${curve !== undefined ? ` (${curve})` : ''}; Inkan signs with ${SUPPORTED}`,
  );
}

const SUPPORTED = `RSA ≥ ${RSA_MODULUS_BITS} bits (RS256), Ed25519 (EdDSA) or EC ${ES256_CURVE} (ES256)`;
/** OpenSSL's curve names as JOSE (RFC 7518 §6.2.1.1) and operators know them. */
const EC_CURVE_NAMES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
/** The hash each alg's signature uses in the self-test (null: Ed25519 hashes internally). */
const SELF_TEST_HASH: Readonly<Record<SigningAlg, string | null>> = { RS256: 'sha256', ES256: 'sha256', EdDSA: null };

/** Parses and checks an operator's key; throws KeyImportError with a one-line reason. */
export function parseImportedKey(text: string): KeyPair {
  const trimmed = text.trim();
  if (trimmed === '') throw new KeyImportError('the file is empty');
  const privateKey = trimmed.startsWith('-----BEGIN') ? parsePem(trimmed) : parseJwk(trimmed);
  const alg = algFor(privateKey);
  if (trimmed.startsWith('{')) {
    const given = JSON.parse(trimmed) as JWK;
    if (given.alg !== undefined && given.alg !== alg && !(alg === 'EdDSA' && given.alg === 'Ed25519')) {
      throw new KeyImportError(`the JWK says "alg": ${JSON.stringify(given.alg)}, but Inkan signs with this key as ${alg}`);
    }
    // Node derives an Ed25519 public key from "d" alone: a wrong "x" would otherwise pass unnoticed.
    const derived = crypto.createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
    for (const member of ['n', 'e', 'x', 'y'] as const) {
      if (given[member] !== undefined && given[member] !== derived[member]) {
        throw new KeyImportError(`the private and public parts of the key do not match ("${member}")`);
      }
    }
  }
  // A key whose parts do not belong together (a hand-edited JWK) must not reach the JWKS.
  const probe = Buffer.from('inkan key import self-test');
  const signature = crypto.sign(SELF_TEST_HASH[alg], probe, privateKey);
  if (!crypto.verify(SELF_TEST_HASH[alg], probe, crypto.createPublicKey(privateKey), signature)) {
    throw new KeyImportError('the private and public parts of the key do not match');
  }
  return describeKeyPair(alg, privateKey);
}
