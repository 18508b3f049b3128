/**
 * Reading the `DPoP` request header (RFC 9449 §4.1): at most one, holding one compact JWS. Node
 * joins repeated headers with ", ", and a JWS never contains a comma, so a comma means two proofs.
 */
import type { Context } from 'koa';
import { OAuthError } from '../oauth/errors.js';

export function dpopProofHeader(ctx: Context): string | undefined {
  const value = ctx.get('dpop');
  if (value === '') return undefined;
  if (value.includes(',')) throw new OAuthError('invalid_dpop_proof', 'a request carries at most one DPoP proof');
  return value.trim();
}
