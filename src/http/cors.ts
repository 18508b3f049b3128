/**
 * CORS for the endpoints a single-page app calls from JavaScript (discovery, JWKS, token,
 * userinfo, revocation). None of them reads a cookie, so any origin may call them without
 * credentials (`Access-Control-Allow-Origin: *`, never `Allow-Credentials`); the cookie-bearing
 * pages (authorize, login, consent, end-session) get no CORS headers at all. The headers are
 * constants shared by the Koa middleware and the hot path (hot-path.ts).
 */
import type { Middleware } from 'koa';

/** On every answer of an open endpoint. */
export const CORS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'WWW-Authenticate, DPoP-Nonce, Retry-After',
});

/** On the 204 answer to a preflight. */
export const PREFLIGHT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Methods': 'GET, POST',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, DPoP',
  'Access-Control-Max-Age': '600',
});

/** An OPTIONS request that names the method it wants to make (Fetch standard, CORS preflight). */
export function isPreflight(method: string, requestedMethod: string | undefined): boolean {
  return method === 'OPTIONS' && requestedMethod !== undefined && requestedMethod !== '';
}

export function corsFor(paths: readonly string[]): Middleware {
  const open = new Set(paths);
  return async (ctx, next) => {
    if (!open.has(ctx.path)) return next();
    ctx.set(CORS_HEADERS);
    if (isPreflight(ctx.method, ctx.get('access-control-request-method'))) {
      ctx.set(PREFLIGHT_HEADERS);
      ctx.status = 204;
      return;
    }
    return next();
  };
}
