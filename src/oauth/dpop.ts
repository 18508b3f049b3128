/**
 * DPoP (RFC 9449) where Inkan receives proofs: the token endpoint and userinfo. The proof itself
 * is checked by `checkDpopProof` of `@inkan/verifier/protocol` (the same rules the SDK applies at
 * resource servers); this module adds what only the server has:
 *
 * - Replay: a proof's `jti` is single use per key, in the `used_jtis` table every instance shares
 *   (storage/used-jtis.ts), remembered until the proof would be refused for its age anyway.
 * - Freshness window: `iat` at most PROOF_MAX_AGE_SECONDS old and PROOF_FUTURE_SKEW_SECONDS ahead.
 * - Nonces (§8), the policy: every response to a DPoP request at the token endpoint carries a fresh
 *   `DPoP-Nonce`, so clients can always include one; a nonce is REQUIRED only from clients
 *   registered with `--require-dpop-nonce` (missing or stale: 400 `use_dpop_nonce` with a new
 *   `DPoP-Nonce`). Userinfo requires none. A nonce is stateless: the current time bucket
 *   (NONCE_PERIOD_SECONDS) with a truncated HMAC under a key derived from the key-encryption key,
 *   so any instance accepts any instance's nonce; one is valid for its bucket and the next (60 to
 *   120 s).
 *
 * Every failure is an OAuthError: `invalid_dpop_proof` (400) or `use_dpop_nonce` (400); resource
 * endpoints re-issue them as 401 challenges.
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import { usedJtiKey, type UsedJtiStore } from '../storage/used-jtis.js';
import { checkDpopProof } from '@inkan/verifier/protocol';
import { VerifierError } from '@inkan/verifier';
import { OAuthError } from './errors.js';

export { DPOP_ALGS } from '@inkan/verifier/protocol';

export const PROOF_MAX_AGE_SECONDS = 60;
export const PROOF_FUTURE_SKEW_SECONDS = 10;
export const NONCE_PERIOD_SECONDS = 60;
const NONCE_MAC_BYTES = 16;

export interface DpopDeps {
  readonly clock: Clock;
  readonly usedJtis: Pick<UsedJtiStore, 'use'>;
  /**
   * A secret every instance shares, so that any instance accepts any instance's nonce: the server
   * passes the refresh successor key (itself derived from the key-encryption key). The nonce key
   * is derived from it here, for this one purpose.
   */
  readonly sharedSecret: Buffer;
}

export interface DpopRequest {
  readonly proof: string;
  readonly method: string;
  /** The URL the request was sent to, as the client knew it (built from the issuer). */
  readonly url: string;
  readonly accessToken?: string;
  readonly requireNonce: boolean;
}

export interface VerifiedDpopProof {
  /** The thumbprint of the proof key (`cnf.jkt`). */
  readonly jkt: string;
}

export interface Dpop {
  verify(request: DpopRequest): Promise<VerifiedDpopProof>;
  /** A nonce for the `DPoP-Nonce` header. */
  nonce(): string;
}

/** The nonce key: HKDF of the shared secret, for this one purpose. */
function deriveNonceKey(secret: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), 'inkan dpop nonce v1', 32));
}

export function dpop(deps: DpopDeps): Dpop {
  const nonceKey = deriveNonceKey(deps.sharedSecret);
  const nonceFor = (bucket: number): string => {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(bucket));
    const mac = crypto.createHmac('sha256', nonceKey).update(counter).digest().subarray(0, NONCE_MAC_BYTES);
    return Buffer.concat([counter, mac]).toString('base64url');
  };
  const bucketOf = (seconds: number) => Math.floor(seconds / NONCE_PERIOD_SECONDS);
  const nonceIsCurrent = (nonce: string | undefined): boolean => {
    if (nonce === undefined || nonce.length > 64) return false;
    const bucket = bucketOf(deps.clock.nowSeconds());
    const given = Buffer.from(nonce);
    return [bucket, bucket - 1].some((candidate) => {
      const expected = Buffer.from(nonceFor(candidate));
      return expected.length === given.length && crypto.timingSafeEqual(expected, given);
    });
  };
  const useNonce = (description: string) =>
    new OAuthError('use_dpop_nonce', description, { headers: { 'DPoP-Nonce': nonceFor(bucketOf(deps.clock.nowSeconds())) } });

  return {
    nonce: () => nonceFor(bucketOf(deps.clock.nowSeconds())),
    async verify(request) {
      const now = deps.clock.nowSeconds();
      let checked;
      try {
        checked = await checkDpopProof(request.proof, {
          method: request.method,
          url: request.url,
          ...(request.accessToken === undefined ? {} : { accessToken: request.accessToken }),
          nowSeconds: now,
          maxAgeSeconds: PROOF_MAX_AGE_SECONDS,
          futureSkewSeconds: PROOF_FUTURE_SKEW_SECONDS,
        });
      } catch (error) {
        if (error instanceof VerifierError) throw new OAuthError('invalid_dpop_proof', error.message, { cause: error });
        throw error;
      }
      if (request.requireNonce && !nonceIsCurrent(checked.nonce)) {
        throw useNonce(checked.nonce === undefined ? 'a DPoP nonce is required' : 'the DPoP nonce is stale; use the new one');
      }
      if (!(await deps.usedJtis.use(usedJtiKey('dpop_proof', checked.jkt, checked.jti), checked.iat + PROOF_MAX_AGE_SECONDS + 1))) {
        throw new OAuthError('invalid_dpop_proof', 'the DPoP proof was already used');
      }
      return { jkt: checked.jkt };
    },
  };
}
