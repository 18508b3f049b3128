/**
 * The one place errors become responses. OAuthErrors render as RFC 6749 §5.2 JSON with their
 * status and headers; Koa/http-errors with `expose` (one Koa itself throws, say) render the same
 * way as `invalid_request`; anything else is logged with the request id and answered as a bare 500.
 * `errorFor` decides; the Koa middleware below and the hot path (hot-path.ts) render its answer.
 */
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { OAuthError } from '../oauth/errors.js';

interface HttpLikeError {
  status?: number;
  expose?: boolean;
  message: string;
  headers?: Record<string, string>;
}

/** The OAuthError to answer with for whatever was thrown; logs what the client must not see. */
export function errorFor(caught: unknown, log: Logger, requestId: string | undefined): OAuthError {
  if (caught instanceof OAuthError) {
    if (caught.status >= 500) log.error({ reqId: requestId, err: caught }, 'request failed');
    return caught;
  }
  const httpError = caught as HttpLikeError;
  if (httpError.expose === true && typeof httpError.status === 'number' && httpError.status < 500) {
    return new OAuthError('invalid_request', httpError.message, { status: httpError.status, headers: httpError.headers ?? {} });
  }
  log.error({ reqId: requestId, err: caught }, 'unexpected error');
  return new OAuthError('server_error', 'the server could not complete the request');
}

export function errorHandler(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      const error = errorFor(caught, log, ctx.state.requestId);
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = error.toJSON();
    }
  };
}
