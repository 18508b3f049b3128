/**
 * Who asked, and one line when the answer went out. Every request gets an id (the caller's
 * `X-Request-Id` when it is a plain token, else a fresh UUID), echoed in `X-Request-Id`, and one
 * access-log line with method, path (never the query string, which can carry codes and tokens),
 * status and duration (and, when the request is traced, `trace_id` and `span_id`: its span is
 * ended here, request-trace.ts), plus the request metrics. The Koa middleware below and the hot path
 * (hot-path.ts) both go through one `RequestLog`, so every endpoint logs and counts alike.
 */
import crypto from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { plainLines } from '../log.js';
import { finishRequestSpan } from '../tracing/spans.js';
import { clientAddress } from './client-address.js';

const ACCEPTABLE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const REQUEST_MSG = JSON.stringify('request');
/** node's parser knows some 30 methods; a Koa app could be handed others, so the cache is bounded. */
const MAX_CACHED_METHODS = 64;

/** Told of every answered request (metrics/metrics.ts): the route template, not the URL. */
export type RequestObserver = (route: string | undefined, method: string, status: number, seconds: number) => void;

export interface AnsweredRequest {
  /** From `idFor`: a plain token, which the access line writes without escaping. */
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  /** The route template that answered (undefined when none matched). */
  readonly route: string | undefined;
  readonly status: number;
  /** `process.hrtime.bigint()` when the request arrived. */
  readonly startedAt: bigint;
}

export interface RequestLog {
  /** The id of a request: the offered `X-Request-Id` when acceptable, else a fresh UUID. */
  idFor(offered: string | undefined): string;
  answered(request: AnsweredRequest): void;
}

/**
 * `traced`: whether requests may have a span to end (tracing configured, app.ts); without, the
 * line skips the look-up of a span that cannot be there.
 */
export function createRequestLog(log: Logger, observe?: RequestObserver, traced = true): RequestLog {
  // Only the fixed fields below are logged here: no redaction needed (see log.ts).
  const access = plainLines(log);
  const methods = new Map<string, string>();
  /** The route table's paths, serialised once: most requests' path is their route's. */
  const routes = new Map<string, string>();
  return {
    idFor: (offered) => (offered !== undefined && ACCEPTABLE_ID.test(offered) ? offered : crypto.randomUUID()),
    answered({ requestId, method, path, route, status, startedAt }) {
      const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
      const trace = traced ? finishRequestSpan({ method, route, path, status, requestId }) : undefined;
      // The line's members, in the order pino would write { reqId, method, path, status, ms,
      // trace_id, span_id } (test/http/request-log.test.ts compares the bytes). The request id
      // needs no escaping (ACCEPTABLE_ID or a UUID), nor do the status, the duration (finite
      // numbers) or the trace's hex ids; the few methods and the route table's paths are
      // serialised once each; any other path, which a client chooses, every time.
      let methodJson = methods.get(method);
      if (methodJson === undefined) {
        methodJson = JSON.stringify(method);
        if (methods.size < MAX_CACHED_METHODS) methods.set(method, methodJson);
      }
      let pathJson = path === route ? routes.get(route) : undefined;
      if (pathJson === undefined) {
        pathJson = JSON.stringify(path);
        if (path === route) routes.set(route, pathJson);
      }
      const members = `"reqId":"${requestId}","method":${methodJson},"path":${pathJson},"status":${status},"ms":${Math.round(ms * 100) / 100}`;
      access.infoMembers(trace === undefined ? members : `${members},"trace_id":"${trace.trace_id}","span_id":"${trace.span_id}"`, REQUEST_MSG);
      observe?.(route, method, status, ms / 1000);
    },
  };
}

/**
 * The first Koa middleware: `ctx.state.requestId`, `X-Request-Id`, `ctx.ip` by the TRUST_PROXY
 * rule (client-address.ts), and the line when the answer is ready, with the route table's path
 * that koa-app.ts put in `ctx.state.route`.
 */
export function requestLogMiddleware(requestLog: RequestLog, trustedProxyHops: number): Middleware {
  return async (ctx, next) => {
    const startedAt = process.hrtime.bigint();
    const requestId = requestLog.idFor(ctx.get('x-request-id'));
    ctx.state.requestId = requestId;
    ctx.request.ip = clientAddress(ctx.req, trustedProxyHops);
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      requestLog.answered({ requestId, method: ctx.method, path: ctx.path, route: ctx.state.route as string | undefined, status: ctx.status, startedAt });
    }
  };
}
