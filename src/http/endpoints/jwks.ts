/**
 * GET the JWKS: the pre-serialised body from the keyring, `Cache-Control: max-age=JWKS_MAX_AGE`
 * (the key lifecycle pre-publishes new keys at least that long before they sign), and an ETag
 * answered with 304.
 */
import type { Router } from '@koa/router';
import type { Keyring } from '../../keys/keyring.js';
import { ENDPOINT_PATHS } from '../../oauth/discovery.js';

export function mountJwks(router: Router, deps: { keyring: Keyring; jwksMaxAgeSeconds: number }): void {
  const cacheControl = `public, max-age=${deps.jwksMaxAgeSeconds}`;
  router.get(ENDPOINT_PATHS.jwks, (ctx) => {
    const { body, etag } = deps.keyring.jwks();
    ctx.set('Cache-Control', cacheControl);
    ctx.set('ETag', etag);
    if (ctx.get('if-none-match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/jwk-set+json';
    ctx.body = body;
  });
}
