/**
 * Reading the `DPoP` request header (RFC 9449 §4.1): at most one, holding one compact JWS. Node
 * joins repeated headers with ", ", and a JWS never contains a comma, so a comma means two proofs.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { OAuthError } from '../oauth/errors.js';

/** The proof in `headers` (node's request headers, Koa's `ctx.headers`), if any. */
export function dpopProofHeader(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.dpop;
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.includes(',')) throw new OAuthError('invalid_dpop_proof', 'a request carries at most one DPoP proof');
  return value.trim();
}
