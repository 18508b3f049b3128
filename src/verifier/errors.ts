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
  | 'ERR_ISSUER_UNAVAILABLE';

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

  /** The RFC 6750 error code for the WWW-Authenticate challenge. */
  get oauthError(): 'invalid_token' | 'temporarily_unavailable' {
    return this.status === 503 ? 'temporarily_unavailable' : 'invalid_token';
  }
}
