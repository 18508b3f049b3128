/**
 * GET the revocation feed (listed in discovery as `revocation_feed_endpoint`): Server-Sent Events
 * for resource servers (see revocation/feed.ts for the stream itself, and
 * revocation/security-events in the SDK for the event format).
 *
 * Access: an Inkan access token as a Bearer token (RFC 6750) — signature against Inkan's own keys,
 * `typ: at+jwt`, Inkan as audience, not expired, not revoked — carrying the scope
 * `revocations:read`. Without a token: 401 with a bare challenge; a bad one: 401 invalid_token;
 * without the scope: 403 insufficient_scope.
 */
import type { Router } from '@koa/router';
import type { Logger } from 'pino';
import { ENDPOINT_PATHS } from '../../oauth/discovery.js';
import { OAuthError } from '../../oauth/errors.js';
import { FEED_SCOPE, type RevocationFeed } from '../../revocation/feed.js';
import type { RevocationService } from '../../revocation/service.js';
import { AccessTokenRejected, type AccessTokenClaims } from '../../tokens/own-access-token.js';

export interface RevocationFeedEndpointDeps {
  readonly feed: RevocationFeed;
  readonly verifyAccessToken: (token: string) => Promise<AccessTokenClaims>;
  readonly revocations: Pick<RevocationService, 'isRevoked'>;
  readonly log: Logger;
}

const REALM = 'Bearer realm="inkan"';
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function invalidToken(description: string, cause?: unknown): OAuthError {
  return new OAuthError('invalid_token', description, {
    headers: { 'WWW-Authenticate': `${REALM}, error="invalid_token", error_description="${description}"` },
    cause,
  });
}

async function authorize(deps: RevocationFeedEndpointDeps, authorization: string): Promise<AccessTokenClaims> {
  if (authorization === '') {
    throw new OAuthError('invalid_token', 'a bearer access token is required', { headers: { 'WWW-Authenticate': REALM } });
  }
  const match = BEARER.exec(authorization);
  if (match === null) throw invalidToken('the Authorization header is not "Bearer <token>"');
  let claims: AccessTokenClaims;
  try {
    claims = await deps.verifyAccessToken(match[1]!);
  } catch (error) {
    if (error instanceof AccessTokenRejected) throw invalidToken(error.message, error);
    throw error;
  }
  const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
  if (await deps.revocations.isRevoked({ jti: claims.jti, sub: claims.sub, client_id: claims.client_id, iat: claims.iat ?? 0, sid })) {
    throw invalidToken('the access token was revoked');
  }
  if (!claims.scope.split(' ').includes(FEED_SCOPE)) {
    throw new OAuthError('insufficient_scope', `the feed needs the scope ${FEED_SCOPE}`, {
      headers: { 'WWW-Authenticate': `${REALM}, error="insufficient_scope", scope="${FEED_SCOPE}"` },
    });
  }
  return claims;
}

export function mountRevocationFeed(router: Router, deps: RevocationFeedEndpointDeps): void {
  router.get(ENDPOINT_PATHS.revocationFeed, async (ctx) => {
    const claims = await authorize(deps, ctx.get('authorization'));
    const socket = ctx.req.socket;
    socket.setTimeout(0);
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    // Koa steps aside: the response is a long-lived stream written directly, flushed at once
    // (no buffering, no compression), and a client that goes away is not an error.
    ctx.respond = false;
    const res = ctx.res;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no', // nginx: do not buffer the stream
    });
    res.flushHeaders();
    const controller = new AbortController();
    res.once('close', () => controller.abort());
    res.on('error', () => controller.abort());
    const sink = {
      write: (chunk: string) =>
        new Promise<void>((resolve) => {
          if (res.destroyed || controller.signal.aborted) return resolve();
          if (res.write(chunk)) return resolve();
          const done = () => {
            res.off('drain', done);
            controller.signal.removeEventListener('abort', done);
            resolve();
          };
          res.once('drain', done);
          controller.signal.addEventListener('abort', done, { once: true });
        }),
    };
    const lastEventId = ctx.get('last-event-id') || undefined;
    void deps.feed
      .stream(lastEventId, sink, { signal: controller.signal, untilMs: (claims.exp ?? 0) * 1000 })
      .catch((error: unknown) => deps.log.error({ err: error, reqId: ctx.state.requestId }, 'revocation feed stream failed'))
      .finally(() => res.end());
  });
}
