/**
 * Who is calling a Shared Signals endpoint (stream management, status, verification, poll): a
 * receiver, authenticated with an Inkan access token as a Bearer token (RFC 6750, checked like at
 * userinfo by http/bearer.ts) carrying the scope `ssf` (oauth/scopes.ts SSF_SCOPE), issued by the
 * client_credentials grant (`sub` = `client_id`: a person's token manages no stream). No token:
 * 401 with a bare challenge; a bad, expired or revoked one: 401 invalid_token; another scope or a
 * person's token: 403 insufficient_scope (SSF 1.0 §8.1: 401 when authorization is missing or
 * failed, 403 when the receiver is not allowed). The receiver is its client_id.
 */
import type { Context } from 'koa';
import { SSF_SCOPE } from '../oauth/scopes.js';
import type { IssuedAccessTokenVerifier } from '../tokens/issued-access-token.js';
import { bearerError, bearerFromHeader, verifiedBearer } from './bearer.js';
import { refuseBoundAsBearer } from './dpop-resource.js';

export interface ReceiverAuthDeps {
  readonly verifyAccessToken: IssuedAccessTokenVerifier;
  readonly issuer: string;
}

/** SSF request bodies are small JSON objects. */
export const SSF_BODY_LIMIT_BYTES = 64 * 1024;

/** The calling receiver's client_id. */
export async function receiverOf(ctx: Context, deps: ReceiverAuthDeps): Promise<string> {
  const claims = await verifiedBearer(deps, bearerFromHeader(ctx), SSF_SCOPE);
  refuseBoundAsBearer(claims);
  if (claims.sub !== claims.client_id) {
    throw bearerError('insufficient_scope', 'Shared Signals receivers use a client_credentials access token', { scope: SSF_SCOPE });
  }
  ctx.set('Cache-Control', 'no-store');
  return claims.client_id;
}

/** A query parameter given once, or undefined; given twice is 400. */
export function singleQueryParameter(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw bearerError('invalid_request', `${name} may be given once`);
  return value === undefined || value === '' ? undefined : value;
}
