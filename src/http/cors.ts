/**
 * CORS for the endpoints a single-page app calls from JavaScript (discovery, JWKS, token,
 * userinfo, revocation). None of them reads a cookie, so any origin may call them without
 * credentials (`Access-Control-Allow-Origin: *`, never `Allow-Credentials`); the cookie-bearing
 * pages (authorize, login, consent, end-session) get no CORS headers at all.
 */
import type { Middleware } from 'koa';

export function corsFor(paths: readonly string[]): Middleware {
  const open = new Set(paths);
  return async (ctx, next) => {
    if (!open.has(ctx.path)) return next();
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Access-Control-Expose-Headers', 'WWW-Authenticate, DPoP-Nonce, Retry-After');
    if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method') !== '') {
      ctx.set('Access-Control-Allow-Methods', 'GET, POST');
      ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, DPoP');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    return next();
  };
}
