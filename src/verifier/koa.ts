/**
 * Koa middleware for resource servers: Bearer authentication (RFC 6750) with the verifier; the
 * claims land in `ctx.state.accessToken`, a refusal is answered with its WWW-Authenticate
 * challenge. Only Koa's types are imported, so the SDK has no runtime dependency on Koa.
 */
import type { Middleware } from 'koa';
import { authenticateBearer, type BearerOptions } from './bearer.js';
import type { AccessTokenClaims, Verifier } from './verifier.js';

export interface VerifiedState {
  accessToken: AccessTokenClaims;
}

export function verifierMiddleware(verifier: Pick<Verifier, 'verify'>, options: BearerOptions = {}): Middleware<VerifiedState> {
  return async (ctx, next) => {
    const result = await authenticateBearer(verifier, ctx.get('authorization') || undefined, options);
    if (!result.ok) {
      ctx.status = result.status;
      for (const [name, value] of Object.entries(result.headers)) ctx.set(name, value);
      ctx.set('Cache-Control', 'no-store');
      if (result.body !== undefined) ctx.body = result.body;
      return;
    }
    ctx.state.accessToken = result.claims;
    await next();
  };
}
