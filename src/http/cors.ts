/**
 * CORS for the endpoints a single-page app calls from JavaScript: the rows of the route table
 * (routes.ts) with `cors: 'open'` (discovery, JWKS, token, userinfo, revocation). None of them
 * reads a cookie, so any origin may call them without credentials (`Access-Control-Allow-Origin:
 * *`, never `Allow-Credentials`); the cookie-bearing pages (authorize, login, consent,
 * end-session) and every other row get no CORS header at all. The front door (front-door.ts)
 * applies this to every request, for the hot path and Koa alike: the headers on every answer of
 * an open route, and the 204 answer to its preflight.
 */

/** On every answer of an open route, errors and preflights included. */
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
