/**
 * The one place errors become responses. OAuthErrors render as RFC 6749 §5.2 JSON with their
 * status and headers; Koa/http-errors with `expose` (a 405 from the router, say) render the same
 * way as `invalid_request`; anything else is logged with the request id and answered as a bare 500.
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

export function errorHandler(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      let error: OAuthError;
      if (caught instanceof OAuthError) {
        error = caught;
        if (error.status >= 500) log.error({ reqId: ctx.state.requestId, err: caught }, 'request failed');
      } else {
        const httpError = caught as HttpLikeError;
        if (httpError.expose === true && typeof httpError.status === 'number' && httpError.status < 500) {
          error = new OAuthError('invalid_request', httpError.message, { status: httpError.status, headers: httpError.headers ?? {} });
        } else {
          log.error({ reqId: ctx.state.requestId, err: caught }, 'unexpected error');
          error = new OAuthError('server_error', 'the server could not complete the request');
        }
      }
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = error.toJSON();
    }
  };
}
