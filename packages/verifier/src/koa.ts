/**
 * `@inkan/verifier/koa`: Koa middleware for resource servers, a thin layer over
 * createRequestAuthenticator (request-authentication.ts): Bearer (RFC 6750) or DPoP (RFC 9449 §7,
 * the proof checked against this request's method and the configured `origin` + its path, never
 * the Host header). The claims land in `ctx.state.accessToken`; a refusal is answered with its
 * status, WWW-Authenticate challenge and JSON body. Only Koa's types are imported, so the SDK has
 * no runtime dependency on Koa (an optional peer dependency), and the main entry none at all.
 */
import type { Middleware } from 'koa';
import { createRequestAuthenticator, type AuthenticationOptions } from './request-authentication.js';
import type { AccessTokenClaims, Verifier } from './verifier-types.js';

export interface VerifiedState {
  accessToken: AccessTokenClaims;
}

/** Throws a TypeError at once for an `origin` that is not a scheme, host and optional port. */
export function verifierMiddleware(verifier: Pick<Verifier, 'verify'>, options: AuthenticationOptions = {}): Middleware<VerifiedState> {
  const authenticate = createRequestAuthenticator(verifier, options);
  return async (ctx, next) => {
    // originalUrl: the path the client addressed, before a mounted app strips its prefix from ctx.path.
    const result = await authenticate({ method: ctx.method, path: ctx.originalUrl, headers: ctx.headers });
    if (!result.ok) {
      ctx.status = result.status;
      ctx.set(result.headers);
      if (result.body !== undefined) ctx.body = result.body;
      return;
    }
    ctx.state.accessToken = result.claims;
    await next();
  };
}
