/**
 * The sender constraint of RFC 9449 §7 at a resource server: a DPoP-bound token (`cnf.jkt`) is
 * accepted only with a valid DPoP proof of its key, used once; an unbound token must not come
 * with the DPoP scheme. The proof's own rules are checkDpopProof's (shared with Inkan's server);
 * what is added here is the binding to the token and the replay cache.
 */
import { fail } from './errors.js';
import type { DpopReplayCache } from './dpop-replay-cache.js';
import { checkDpopProof } from './protocol/dpop-proof.js';
import type { VerifierSettings } from './settings.js';
import type { AccessTokenClaims, DpopPresentation } from './verifier-types.js';

export async function checkSenderConstraint(
  token: string,
  claims: AccessTokenClaims,
  dpop: DpopPresentation | undefined,
  replayCache: DpopReplayCache,
  settings: Pick<VerifierSettings, 'dpopProofMaxAgeSeconds' | 'toleranceSeconds' | 'nowMs'>,
): Promise<void> {
  const jkt = claims.cnf?.jkt;
  if (dpop === undefined) {
    if (jkt !== undefined) fail('ERR_DPOP_PROOF_MISSING', 'the token is DPoP-bound: present it with the DPoP scheme and a proof');
    return;
  }
  if (typeof jkt !== 'string') fail('ERR_DPOP_NOT_BOUND', 'the token is not DPoP-bound: present it as a Bearer token');
  const maxAgeSeconds = settings.dpopProofMaxAgeSeconds;
  const nowMs = settings.nowMs();
  const proof = await checkDpopProof(dpop.proof, {
    method: dpop.method,
    url: dpop.url,
    accessToken: token,
    nowSeconds: Math.floor(nowMs / 1000),
    maxAgeSeconds,
    futureSkewSeconds: settings.toleranceSeconds,
  });
  if (proof.jkt !== jkt) fail('ERR_DPOP_KEY_MISMATCH', 'the DPoP proof is signed by another key than the one the token is bound to');
  replayCache.useOnce(jkt, proof.jti, (proof.iat + maxAgeSeconds + settings.toleranceSeconds + 1) * 1000, nowMs);
}
