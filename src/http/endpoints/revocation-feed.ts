/**
 * GET the revocation feed (listed in discovery as `revocation_feed_endpoint`): Server-Sent Events
 * for resource servers (see revocation/feed.ts for the stream itself, and
 * revocation/security-events in the SDK for the event format).
 *
 * Access: an Inkan access token as a Bearer token (RFC 6750) — signature against Inkan's own keys,
 * `typ: at+jwt`, Inkan as audience, not expired, not revoked — carrying the scope
 * `revocations:read`, checked and answered like at userinfo (http/bearer.ts): without a token 401
 * with a bare challenge, a malformed header 400, a bad token 401 invalid_token, without the scope
 * 403 insufficient_scope. A client already holding FEED_MAX_STREAMS_PER_CLIENT streams gets 429
 * (`Retry-After`) instead of one more.
 */
import type { Logger } from 'pino';
import { OAuthError } from '../../oauth/errors.js';
import { FEED_SCOPE } from '../../oauth/scopes.js';
import type { RevocationFeed } from '../../revocation/feed.js';
import type { IssuedAccessTokenVerifier } from '../../tokens/issued-access-token.js';
import { bearerFromHeader, verifiedBearer } from '../bearer.js';
import { refuseBoundAsBearer } from '../dpop-resource.js';
import type { KoaHandler } from '../route.js';

export interface RevocationFeedEndpointDeps {
  readonly feed: RevocationFeed;
  readonly verifyAccessToken: IssuedAccessTokenVerifier;
  readonly issuer: string;
  readonly log: Logger;
}

export function revocationFeedEndpoint(deps: RevocationFeedEndpointDeps): KoaHandler {
  return async (ctx) => {
    const claims = await verifiedBearer(deps, bearerFromHeader(ctx), FEED_SCOPE);
    // Bearer only: a DPoP-bound token (RFC 9449) is useless without its proof, here as anywhere.
    refuseBoundAsBearer(claims);
    const release = await deps.feed.reserve(claims.client_id);
    if (release === undefined) {
      throw new OAuthError('temporarily_unavailable', 'this client already holds every revocation-feed stream it may open', {
        status: 429,
        headers: { 'Retry-After': '10' },
      });
    }
    const socket = ctx.req.socket;
    // The client may have gone while its slot was reserved (a worker asks its primary): nothing to stream.
    if (socket.destroyed) return release();
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
    res.once('close', () => {
      controller.abort();
      release();
    });
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
      .stream(lastEventId, sink, { signal: controller.signal, untilMs: claims.exp * 1000, subscriber: claims })
      .catch((error: unknown) => deps.log.error({ err: error, reqId: ctx.state.requestId }, 'revocation feed stream failed'))
      .finally(() => {
        release();
        res.end();
      });
  };
}
