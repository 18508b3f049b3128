/**
 * `X-Content-Type-Options: nosniff` on every answer, JSON ones first of all: a browser must never
 * take an error body that echoes a parameter, or a JWKS, for a script or a page. The hot path
 * (hot-path.ts) sends the same header from the same constants.
 */
import type { Middleware } from 'koa';

export const NO_SNIFF_NAME = 'X-Content-Type-Options';
export const NO_SNIFF_VALUE = 'nosniff';

export const noSniff: Middleware = async (ctx, next) => {
  ctx.set(NO_SNIFF_NAME, NO_SNIFF_VALUE);
  await next();
};
