/**
 * A poll stream's endpoint_url (RFC 8936, SSF 1.0 §6.1.2): POST `/ssf/poll/<stream_id>` with
 * `{maxEvents?, returnImmediately?, ack?, setErrs?}` answers `{sets: {<jti>: <SET>}, moreAvailable}`.
 * The stream must be the caller's own (404 otherwise, like an unknown one) and a poll stream (a
 * push stream's queue is the push worker's: 400). See shared-signals/transmitter.ts.
 */
import { OAuthError } from '../../oauth/errors.js';
import { parsePollRequest, type Transmitter } from '../../shared-signals/transmitter.js';
import { POLL_DELIVERY } from '../../shared-signals/vocabulary.js';
import { jsonBody } from '../json-body.js';
import type { KoaHandler } from '../route.js';
import { receiverOf, SSF_BODY_LIMIT_BYTES } from '../ssf-receiver.js';
import type { SsfEndpointDeps } from './ssf-streams.js';

export function ssfPollEndpoint(deps: SsfEndpointDeps & { readonly transmitter: Transmitter }): KoaHandler {
  return async (ctx, params) => {
    const clientId = await receiverOf(ctx, deps);
    const request = parsePollRequest(await jsonBody(ctx, SSF_BODY_LIMIT_BYTES, true));
    const stream = await deps.streams.owned(clientId, params.streamId ?? '');
    if (stream.deliveryMethod !== POLL_DELIVERY) throw new OAuthError('invalid_request', 'this stream is delivered by push, not poll');
    ctx.body = await deps.transmitter.poll(stream, request);
  };
}
