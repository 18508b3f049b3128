/**
 * RFC 6750 for the endpoints where Inkan itself is the resource server (userinfo, the revocation
 * feed): reading `Authorization: Bearer <token>`, checking the token (tokens/issued-access-token.ts,
 * with the issuer as audience) and the scope the endpoint needs, and answering every failure with
 * the matching `WWW-Authenticate` challenge (§3): no credentials → 401 with a bare challenge, a
 * malformed header → 400 invalid_request, a bad, expired or revoked token → 401 invalid_token, a
 * missing scope → 403 insufficient_scope naming it.
 */
import type { Context } from 'koa';
import { OAuthError } from '../oauth/errors.js';
import { AccessTokenRejected, type IssuedAccessTokenClaims, type IssuedAccessTokenVerifier } from '../tokens/issued-access-token.js';

export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

const BEARER_HEADER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const quote = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

/** An error carrying its RFC 6750 challenge; without a code, the bare challenge of §3.1 (no credentials). */
export function bearerError(
  code: BearerErrorCode | undefined,
  description: string,
  options: { readonly scope?: string; readonly cause?: unknown } = {},
): OAuthError {
  const parts = ['realm="inkan"'];
  if (code !== undefined) parts.push(`error=${quote(code)}`, `error_description=${quote(description)}`);
  if (options.scope !== undefined) parts.push(`scope=${quote(options.scope)}`);
  // The statuses of RFC 6750 §3.1 are OAuthError's defaults for these codes: 400, 401, 403.
  return new OAuthError(code ?? 'invalid_token', description, {
    headers: { 'WWW-Authenticate': `Bearer ${parts.join(', ')}` },
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}

/** The token of an `Authorization: Bearer` header; undefined without the header; 400 when it is another shape. */
export function bearerFromHeader(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  if (header === '') return undefined;
  const match = BEARER_HEADER.exec(header);
  if (match === null) throw bearerError('invalid_request', 'the Authorization header must be "Bearer <token>"');
  return match[1];
}

/** Checks an Inkan access token for one of Inkan's own endpoints (audience: the issuer) and its scope. */
export async function verifiedBearer(
  deps: { readonly verifyAccessToken: IssuedAccessTokenVerifier; readonly issuer: string },
  token: string | undefined,
  requiredScope: string,
): Promise<IssuedAccessTokenClaims> {
  if (token === undefined) throw bearerError(undefined, 'an access token is required');
  let claims: IssuedAccessTokenClaims;
  try {
    claims = await deps.verifyAccessToken(token, { audience: deps.issuer });
  } catch (error) {
    if (error instanceof AccessTokenRejected) throw bearerError('invalid_token', error.message, { cause: error });
    throw error;
  }
  if (!claims.scope.split(' ').includes(requiredScope)) {
    throw bearerError('insufficient_scope', `the access token lacks the scope ${requiredScope}`, { scope: requiredScope });
  }
  return claims;
}
