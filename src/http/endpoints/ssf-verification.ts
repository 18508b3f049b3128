/**
 * The Shared Signals verification endpoint (SSF 1.0 §8.1.4.2): POST `{stream_id, state?}` queues a
 * verification event on the stream and answers 204; it goes out like any SET of the stream (push
 * at once, or on the next poll). 429 when asked again within the stream's min_verification_interval.
 */
import { jsonBody } from '../json-body.js';
import type { KoaHandler } from '../route.js';
import { receiverOf, SSF_BODY_LIMIT_BYTES } from '../ssf-receiver.js';
import type { SsfEndpointDeps } from './ssf-streams.js';

export function ssfVerificationEndpoint(deps: SsfEndpointDeps): KoaHandler {
  return async (ctx) => {
    const clientId = await receiverOf(ctx, deps);
    await deps.streams.verify(clientId, await jsonBody(ctx, SSF_BODY_LIMIT_BYTES));
    ctx.status = 204;
  };
}
