/**
 * The SDK's one error type. Callers switch on `code` (a closed union, so the compiler helps),
 * never on the message; `status` and `oauthError` say how a resource server should answer
 * (RFC 6750 §3.1), so the Koa middleware and hand-written handlers render the same thing.
 */

export type VerifierErrorCode =
  /** Not a compact JWS, or a header/payload that is not JSON. */
  | 'ERR_TOKEN_MALFORMED'
  /** The signature does not verify with the key named by `kid`. */
  | 'ERR_SIGNATURE_INVALID'
  /** `alg` is `none`, symmetric, or not the algorithm of the key the `kid` names. */
  | 'ERR_ALG_NOT_ALLOWED'
  /** No published key has this `kid`, even after refetching the JWKS. */
  | 'ERR_UNKNOWN_KID'
  /** `typ` is not `at+jwt` (an ID token replayed as an access token, say). */
  | 'ERR_TYP_INVALID'
  | 'ERR_ISSUER_INVALID'
  | 'ERR_AUDIENCE_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  /** `nbf` or `iat` lies in the future beyond the clock tolerance. */
  | 'ERR_TOKEN_NOT_YET_VALID'
  /** A required claim (RFC 9068 §2.2) is missing or has the wrong type. */
  | 'ERR_CLAIM_INVALID'
  /** A revocation record or a status list bit covers the token. */
  | 'ERR_TOKEN_REVOKED'
  /** Revocation is on and neither the feed nor a status list is current (fail closed). */
  | 'ERR_REVOCATION_STALE'
  /** Discovery or the JWKS could not be fetched. */
  | 'ERR_ISSUER_UNAVAILABLE'
  /** A DPoP-bound token (`cnf.jkt`) came without a DPoP proof, e.g. as a Bearer token (RFC 9449 §7.1). */
  | 'ERR_DPOP_PROOF_MISSING'
  /** A DPoP proof came with a token that is not DPoP-bound. */
  | 'ERR_DPOP_NOT_BOUND'
  /** The DPoP proof is malformed: typ, alg, jwk, signature, jti or iat missing or wrong. */
  | 'ERR_DPOP_PROOF_INVALID'
  /** The proof's `htm` is not the request's method. */
  | 'ERR_DPOP_HTM_MISMATCH'
  /** The proof's `htu` is not the request's URL (query and fragment aside). */
  | 'ERR_DPOP_HTU_MISMATCH'
  /** The proof's `iat` is too old or in the future. */
  | 'ERR_DPOP_IAT_INVALID'
  /** The proof's `ath` is not the hash of the presented access token. */
  | 'ERR_DPOP_ATH_MISMATCH'
  /** The proof is signed by another key than the one the token is bound to (`cnf.jkt`). */
  | 'ERR_DPOP_KEY_MISMATCH'
  /** The proof's `jti` was seen before. */
  | 'ERR_DPOP_REPLAYED';

export class VerifierError extends Error {
  override readonly name = 'VerifierError';

  constructor(
    readonly code: VerifierErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }

  /** The HTTP status a resource server should answer with (RFC 6750 §3.1). */
  get status(): 401 | 503 {
    return this.code === 'ERR_ISSUER_UNAVAILABLE' || this.code === 'ERR_REVOCATION_STALE' ? 503 : 401;
  }

  /** The RFC 6750 / RFC 9449 §7.1 error code for the WWW-Authenticate challenge. */
  get oauthError(): 'invalid_token' | 'temporarily_unavailable' | 'invalid_dpop_proof' {
    if (this.status === 503) return 'temporarily_unavailable';
    return this.isDpopProofError ? 'invalid_dpop_proof' : 'invalid_token';
  }

  /** True when the DPoP proof (not the token) was refused: the challenge scheme is DPoP. */
  get isDpopProofError(): boolean {
    return this.code.startsWith('ERR_DPOP_') && this.code !== 'ERR_DPOP_PROOF_MISSING' && this.code !== 'ERR_DPOP_NOT_BOUND';
  }
}

/** Throws the VerifierError with this code: the one way every check of the SDK refuses. */
export function fail(code: VerifierErrorCode, message: string, cause?: unknown): never {
  throw new VerifierError(code, message, { cause });
}
