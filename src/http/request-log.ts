/**
 * A request id for every request (echoed in `X-Request-Id`) and one log line when it ends, with
 * method, path (never the query string, which can carry codes and tokens), status and duration.
 */
import crypto from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { unredactedLoggerFor } from '../log.js';

const ACCEPTABLE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Told of every answered request (metrics/metrics.ts): the router's route template, not the URL. */
export type RequestObserver = (route: string | undefined, method: string, status: number, seconds: number) => void;

export function requestLog(log: Logger, observe?: RequestObserver): Middleware {
  // Only the fixed fields below are logged here: no redaction needed (see log.ts).
  const access = unredactedLoggerFor(log);
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const offered = ctx.get('x-request-id');
    const requestId = ACCEPTABLE_ID.test(offered) ? offered : crypto.randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      access.info({ reqId: requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 100) / 100 }, 'request');
      observe?.((ctx as { _matchedRoute?: string })._matchedRoute, ctx.method, ctx.status, ms / 1000);
    }
  };
}
