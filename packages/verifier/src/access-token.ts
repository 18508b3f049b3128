/**
 * The checks of an access token (RFC 9068) that are not the signature: its JWS header read before
 * any key is chosen, its `typ`, the claims jose leaves to the caller (`iat` not in the future, the
 * RFC 9068 claims present with their types), and jose's errors mapped to the SDK's codes. Pure
 * functions of the token and the time, so the verifier's hot path reads as a list of steps.
 */
import { errors as joseErrors, type JWTPayload } from 'jose';
import { fail, VerifierError, type VerifierErrorCode } from './errors.js';
import type { AccessTokenClaims } from './verifier-types.js';

const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);

/** The protected header of a compact JWS, parsed without verifying anything. */
export function decodeHeader(token: string): Record<string, unknown> {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.indexOf('.', dot + 1) === -1) fail('ERR_TOKEN_MALFORMED', 'not a compact JWS');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
  } catch (error) {
    fail('ERR_TOKEN_MALFORMED', 'the JWS header is not JSON', error);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('ERR_TOKEN_MALFORMED', 'the JWS header is not an object');
  return header as Record<string, unknown>;
}

/** `typ` is `at+jwt` (RFC 9068 §2.1): an ID token or any other JWT of the issuer is refused. */
export function checkAccessTokenType(header: Record<string, unknown>): void {
  if (typeof header.typ !== 'string' || !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())) {
    fail('ERR_TYP_INVALID', `the token type is ${JSON.stringify(header.typ)}, not at+jwt`);
  }
}

/** What jose does not check: `iat` not in the future, and the RFC 9068 claims with their types. */
export function checkAccessTokenClaims(payload: JWTPayload, nowSeconds: number, toleranceSeconds: number): AccessTokenClaims {
  if (typeof payload.exp !== 'number') fail('ERR_CLAIM_INVALID', 'exp is required');
  if (typeof payload.iat !== 'number') fail('ERR_CLAIM_INVALID', 'iat is required');
  if (payload.iat > nowSeconds + toleranceSeconds) fail('ERR_TOKEN_NOT_YET_VALID', 'the token was issued in the future');
  if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || typeof payload.client_id !== 'string') {
    fail('ERR_CLAIM_INVALID', 'sub, jti and client_id are required strings');
  }
  if (payload.sid !== undefined && typeof payload.sid !== 'string') fail('ERR_CLAIM_INVALID', 'sid must be a string');
  if (payload.grant_id !== undefined && typeof payload.grant_id !== 'string') fail('ERR_CLAIM_INVALID', 'grant_id must be a string');
  return payload as AccessTokenClaims;
}

const CODE_OF_CLAIM: Readonly<Record<string, readonly [VerifierErrorCode, string]>> = {
  iss: ['ERR_ISSUER_INVALID', 'the token is from another issuer'],
  aud: ['ERR_AUDIENCE_INVALID', 'the token is for another audience'],
  nbf: ['ERR_TOKEN_NOT_YET_VALID', 'the token is not valid yet'],
  iat: ['ERR_TOKEN_NOT_YET_VALID', 'the token was issued in the future'],
  typ: ['ERR_TYP_INVALID', 'the token type is not at+jwt'],
};

/** Any error of a verification as a VerifierError: jose's mapped to the SDK's codes, the SDK's own as they are. */
export function asVerifierError(error: unknown): VerifierError {
  if (error instanceof VerifierError) return error;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new VerifierError('ERR_SIGNATURE_INVALID', 'the signature does not verify', { cause: error });
  if (error instanceof joseErrors.JWTExpired) return new VerifierError('ERR_TOKEN_EXPIRED', 'the token has expired', { cause: error });
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const [code, message] = CODE_OF_CLAIM[error.claim] ?? ['ERR_CLAIM_INVALID', `the ${error.claim} claim is invalid`];
    return new VerifierError(code, message, { cause: error });
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new VerifierError('ERR_ALG_NOT_ALLOWED', 'the algorithm is not allowed', { cause: error });
  return new VerifierError('ERR_TOKEN_MALFORMED', 'the token could not be parsed', { cause: error });
}
