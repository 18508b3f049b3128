/**
 * GET the JWKS, answered on the hot path (../hot-path.ts, by the route table): the body the
 * keyring serialised when its keys last changed, `Cache-Control: max-age=JWKS_MAX_AGE` (the key
 * lifecycle pre-publishes new keys at least that long before they sign), and an ETag answered
 * with 304. Both answers, headers and body included, are prepared once per key set (hot-path.ts
 * `prepareAnswer`): a key change builds new ones on the next request, which serves the new set.
 */
import type { Keyring, PublishedJwks } from '../../keys/keyring.js';
import { prepareAnswer, type Answer, type HotHandler } from '../hot-path.js';

interface JwksAnswers {
  readonly for: PublishedJwks;
  readonly ok: Answer;
  readonly notModified: Answer;
}

function answersFor(jwks: PublishedJwks, cacheControl: string): JwksAnswers {
  const headers = Object.freeze({ 'Cache-Control': cacheControl, ETag: jwks.etag });
  return {
    for: jwks,
    ok: prepareAnswer({ status: 200, headers, body: jwks.body, contentType: 'application/jwk-set+json' }),
    notModified: prepareAnswer({ status: 304, headers }),
  };
}

export function jwksEndpoint(deps: { keyring: Keyring; jwksMaxAgeSeconds: number }): HotHandler {
  const cacheControl = `public, max-age=${deps.jwksMaxAgeSeconds}`;
  let answers = answersFor(deps.keyring.jwks(), cacheControl);
  return ({ req }) => {
    const jwks = deps.keyring.jwks();
    // The answers change only when the keys do: built once per published key set.
    if (answers.for !== jwks) answers = answersFor(jwks, cacheControl);
    return req.headers['if-none-match'] === jwks.etag ? answers.notModified : answers.ok;
  };
}
