/**
 * GET the JWKS, on the hot path (../hot-path.ts): the body the keyring serialised when its keys
 * last changed, `Cache-Control: max-age=JWKS_MAX_AGE` (the key lifecycle pre-publishes new keys at
 * least that long before they sign), and an ETag answered with 304.
 */
import type { Keyring } from '../../keys/keyring.js';
import { ENDPOINT_PATHS } from '../../oauth/discovery.js';
import type { HotEndpoint } from '../hot-path.js';

export function jwksEndpoint(deps: { keyring: Keyring; jwksMaxAgeSeconds: number }): HotEndpoint {
  const cacheControl = `public, max-age=${deps.jwksMaxAgeSeconds}`;
  return {
    path: ENDPOINT_PATHS.jwks,
    methods: ['GET'],
    name: 'the JWKS endpoint',
    cors: true,
    answer({ req }) {
      const { body, etag } = deps.keyring.jwks();
      const headers = { 'Cache-Control': cacheControl, ETag: etag };
      if (req.headers['if-none-match'] === etag) return { status: 304, headers };
      return { status: 200, headers, body, contentType: 'application/jwk-set+json' };
    },
  };
}
