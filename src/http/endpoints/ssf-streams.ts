/**
 * The Shared Signals configuration endpoint (SSF 1.0 §8.1.1): POST creates a stream (201), GET
 * reads one (`?stream_id=`) or lists the receiver's, PATCH updates, PUT replaces (200 with the
 * whole configuration), DELETE (`?stream_id=`) deletes (204). Who may call: http/ssf-receiver.ts;
 * what each does and refuses: shared-signals/streams.ts.
 */
import type { StreamManager } from '../../shared-signals/streams.js';
import { jsonBody } from '../json-body.js';
import type { KoaHandler, Method } from '../route.js';
import { receiverOf, singleQueryParameter, SSF_BODY_LIMIT_BYTES, type ReceiverAuthDeps } from '../ssf-receiver.js';

export interface SsfEndpointDeps extends ReceiverAuthDeps {
  readonly streams: StreamManager;
}

export function ssfStreamsEndpoint(deps: SsfEndpointDeps): Readonly<Partial<Record<Method, KoaHandler>>> {
  return {
    POST: async (ctx) => {
      const clientId = await receiverOf(ctx, deps);
      ctx.status = 201;
      ctx.body = await deps.streams.create(clientId, await jsonBody(ctx, SSF_BODY_LIMIT_BYTES, true));
    },
    GET: async (ctx) => {
      const clientId = await receiverOf(ctx, deps);
      ctx.body = await deps.streams.read(clientId, singleQueryParameter(ctx, 'stream_id'));
    },
    PATCH: async (ctx) => {
      const clientId = await receiverOf(ctx, deps);
      ctx.body = await deps.streams.update(clientId, await jsonBody(ctx, SSF_BODY_LIMIT_BYTES));
    },
    PUT: async (ctx) => {
      const clientId = await receiverOf(ctx, deps);
      ctx.body = await deps.streams.replace(clientId, await jsonBody(ctx, SSF_BODY_LIMIT_BYTES));
    },
    DELETE: async (ctx) => {
      const clientId = await receiverOf(ctx, deps);
      await deps.streams.delete(clientId, singleQueryParameter(ctx, 'stream_id'));
      ctx.status = 204;
    },
  };
}
