/**
 * Koa middleware for resource servers: Bearer (RFC 6750) or DPoP (RFC 9449 §7, the proof checked
 * against this request's method and `origin + path`) authentication with the verifier; the
 * claims land in `ctx.state.accessToken`, a refusal is answered with its WWW-Authenticate
 * challenge. Only Koa's types are imported, so the SDK has no runtime dependency on Koa.
 *
 * The `origin` of the DPoP `htu` check is the configured `options.origin`, never one built from
 * the request's Host header (or X-Forwarded-Host behind a proxy), which the client writes: a
 * proof made for another origin must not pass because the request says it is for that origin.
 * Without `origin`, the DPoP scheme is refused (Bearer works as before).
 */
import type { Middleware } from 'koa';
import { authenticateRequest, type BearerOptions } from './request-authentication.js';
import type { AccessTokenClaims, Verifier } from './verifier-types.js';

export interface VerifiedState {
  accessToken: AccessTokenClaims;
}

export function verifierMiddleware(verifier: Pick<Verifier, 'verify'>, options: BearerOptions = {}): Middleware<VerifiedState> {
  const origin = options.origin;
  if (origin !== undefined && !isOrigin(origin)) {
    throw new TypeError(`origin must be a scheme, host and optional port such as "https://api.example.com", got ${JSON.stringify(origin)}`);
  }
  return async (ctx, next) => {
    const result = await authenticateRequest(
      verifier,
      { authorization: ctx.get('authorization'), dpop: ctx.get('dpop'), method: ctx.method, url: origin === undefined ? undefined : `${origin}${ctx.path}` },
      options,
    );
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

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}
