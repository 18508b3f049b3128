/**
 * Compact JWS signing on the hot path.
 *
 * Inkan verifies with jose everywhere, but signs with `node:crypto.sign` on a KeyObject imported
 * once at key load: jose's SignJWT goes through WebCrypto (async, key import per call, the libuv
 * pool), which measured at about half the synchronous rate for EdDSA on one core (see
 * ../shared/FIELD-NOTES.md and `npm run bench`). The encoded protected header of each token type is
 * computed once per key. Every token is still checked by jose in the tests.
 */
import crypto, { type KeyObject } from 'node:crypto';
import type { SigningAlg } from '../storage/stores.js';

/** `typ` header values (RFC 9068, RFC 8417, the Token Status List draft; ID tokens use JWT). */
export type JwtType = 'at+jwt' | 'JWT' | 'secevent+jwt' | 'statuslist+jwt';

export interface JwtSigner {
  readonly kid: string;
  readonly alg: SigningAlg;
  sign(typ: JwtType, payload: Readonly<Record<string, unknown>>): string;
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

export function jwtSigner(kid: string, alg: SigningAlg, privateKey: KeyObject): JwtSigner {
  const headers = new Map<JwtType, string>();
  const digest = alg === 'RS256' ? 'sha256' : null; // Ed25519 hashes internally
  return {
    kid,
    alg,
    sign(typ, payload) {
      let header = headers.get(typ);
      if (header === undefined) {
        header = encode({ alg, kid, typ });
        headers.set(typ, header);
      }
      const signingInput = `${header}.${encode(payload)}`;
      const signature = crypto.sign(digest, Buffer.from(signingInput, 'utf8'), privateKey);
      return `${signingInput}.${signature.toString('base64url')}`;
    },
  };
}
