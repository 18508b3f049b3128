/**
 * The Shared Signals status endpoint (SSF 1.0 §8.1.2): GET `?stream_id=` reads a stream's status,
 * POST `{stream_id, status, reason?}` sets it (enabled, paused, disabled). See
 * shared-signals/streams.ts for what each status does.
 */
import { jsonBody } from '../json-body.js';
import type { KoaHandler, Method } from '../route.js';
import { receiverOf, singleQueryParameter, SSF_BODY_LIMIT_BYTES } from '../ssf-receiver.js';
import type { SsfEndpointDeps } from './ssf-streams.js';

export function ssfStatusEndpoint(deps: SsfEndpointDeps): Readonly<Partial<Record<Method, KoaHandler>>> {
  return {
    GET: async (ctx) => {
      const clientId = await receiverOf(ctx, deps);
      ctx.body = await deps.streams.status(clientId, singleQueryParameter(ctx, 'stream_id'));
    },
    POST: async (ctx) => {
      const clientId = await receiverOf(ctx, deps);
      ctx.body = await deps.streams.setStatus(clientId, await jsonBody(ctx, SSF_BODY_LIMIT_BYTES));
    },
  };
}
