/**
 * Compact JWS signing on the hot path: what a loaded key signs with. It lives with the keys
 * because the keyring prepares one signer per active key at load, for every kind of token
 * (access and ID tokens, Security Event Tokens, status lists); tokens/ decides what they say.
 *
 * Inkan verifies with jose everywhere, but signs synchronously with a key prepared once at key
 * load: jose's SignJWT goes through WebCrypto (async, key import per call, the libuv pool), which
 * measured at about half the synchronous rate for EdDSA on one core (docs/performance.md).
 * RS256 signs with `node:crypto.sign` on a KeyObject, and so does ES256, asking OpenSSL for the
 * IEEE P1363 encoding: RFC 7518 §3.4 makes the JWS signature the fixed-width R || S (32 + 32 bytes
 * for P-256), not the DER `ECDSA-Sig-Value` that OpenSSL writes by default and that every JOSE
 * library refuses. Ed25519 signs with libsodium
 * (sodium-native): EdDSA signatures are deterministic (RFC 8032 §5.1.6), so libsodium writes the
 * very bytes OpenSSL would, in under half the time (`npm run bench`, docs/performance.md); its
 * copy of the key lives in guarded memory outside the V8 heap. The encoded protected header of
 * each token type is computed once per key. Every token is still checked by jose in the tests.
 * In a traced request each signature is a span (`sign <typ>`, with the alg and kid: public values).
 */
import crypto, { type KeyObject } from 'node:crypto';
import sodium from 'sodium-native';
import type { SigningAlg } from '../storage/keys.js';
import { inChildSpan, type SpanAttributes } from '../tracing/spans.js';

/** `typ` header values (RFC 9068, RFC 8417, the Token Status List draft, Back-Channel Logout 1.0 §2.4; ID tokens use JWT). */
export type JwtType = 'at+jwt' | 'JWT' | 'secevent+jwt' | 'statuslist+jwt' | 'logout+jwt';

export interface JwtSigner {
  readonly kid: string;
  readonly alg: SigningAlg;
  sign(typ: JwtType, payload: Readonly<Record<string, unknown>>): string;
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

type SignBytes = (signingInput: Buffer) => Buffer;

function rs256(privateKey: KeyObject): SignBytes {
  return (signingInput) => crypto.sign('sha256', signingInput, privateKey);
}

function es256(privateKey: KeyObject): SignBytes {
  return (signingInput) => crypto.sign('sha256', signingInput, { key: privateKey, dsaEncoding: 'ieee-p1363' });
}

function ed25519(privateKey: KeyObject): SignBytes {
  // libsodium's secret key is the RFC 8032 seed followed by the public key.
  const jwk = privateKey.export({ format: 'jwk' });
  const secretKey = sodium.sodium_malloc(sodium.crypto_sign_SECRETKEYBYTES);
  const seed = Buffer.from(jwk.d!, 'base64url');
  seed.copy(secretKey, 0);
  seed.fill(0); // the only copy of the seed outside guarded memory that Inkan controls
  Buffer.from(jwk.x!, 'base64url').copy(secretKey, 32);
  return (signingInput) => {
    const signature = Buffer.allocUnsafe(sodium.crypto_sign_BYTES);
    sodium.crypto_sign_detached(signature, signingInput, secretKey);
    return signature;
  };
}

const SIGN_BYTES: Readonly<Record<SigningAlg, (privateKey: KeyObject) => SignBytes>> = { RS256: rs256, EdDSA: ed25519, ES256: es256 };

interface PreparedType {
  /** The encoded protected header. */
  readonly header: string;
  readonly spanName: string;
  readonly spanAttributes: SpanAttributes;
}

export function jwtSigner(kid: string, alg: SigningAlg, privateKey: KeyObject): JwtSigner {
  const types = new Map<JwtType, PreparedType>();
  const signBytes = SIGN_BYTES[alg](privateKey);
  return {
    kid,
    alg,
    sign(typ, payload) {
      let prepared = types.get(typ);
      if (prepared === undefined) {
        prepared = { header: encode({ alg, kid, typ }), spanName: `sign ${typ}`, spanAttributes: Object.freeze({ 'inkan.jwt.typ': typ, 'inkan.jwt.alg': alg, 'inkan.key.kid': kid }) };
        types.set(typ, prepared);
      }
      const { header } = prepared;
      return inChildSpan(prepared.spanName, prepared.spanAttributes, () => {
        const signingInput = `${header}.${encode(payload)}`;
        return `${signingInput}.${signBytes(Buffer.from(signingInput, 'utf8')).toString('base64url')}`;
      });
    },
  };
}
