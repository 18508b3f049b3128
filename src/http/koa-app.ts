/**
 * The Koa application behind the front door (front-door.ts): the rows of the route table answered
 * by Koa, with their middleware in order. The front door has already applied the table's rules
 * (route, CORS, method) by the time a request arrives here; this finds the same row with the same
 * matcher and runs the method's handler. A path of no row is Koa's plain 404.
 *
 * Middleware, in order: the request id and the access-log line (request-log.ts), `nosniff`
 * (no-sniff.ts), error rendering (error-handler.ts), then the handler.
 */
import Koa from 'koa';
import type { Logger } from 'pino';
import { errorHandler } from './error-handler.js';
import { methodNotAllowed, methodRule } from './methods.js';
import { noSniff } from './no-sniff.js';
import { requestLogMiddleware, type RequestLog } from './request-log.js';
import type { KoaHandler, KoaRoute } from './route.js';
import { requestPath, routeMatcher } from './route-match.js';

export interface KoaAppDeps {
  readonly requestLog: RequestLog;
  readonly log: Logger;
  readonly trustedProxyHops: number;
}

export function koaApp(routes: readonly KoaRoute[], deps: KoaAppDeps): Koa {
  const matcher = routeMatcher(routes.map((route) => ({ path: route.path, name: route.name, ...methodRule<KoaHandler>(route.koa) })));
  // TRUST_PROXY also tells Koa to believe X-Forwarded-Proto/Host; ctx.ip comes from
  // client-address.ts, the rule the hot path uses too.
  const app = new Koa({ proxy: deps.trustedProxyHops > 0 });
  app.use(requestLogMiddleware(deps.requestLog, deps.trustedProxyHops));
  app.use(noSniff);
  app.use(errorHandler(deps.log));
  app.use(async (ctx) => {
    const matched = matcher.match(requestPath(ctx.url));
    if (matched === undefined) return;
    const { route, params } = matched;
    ctx.state.route = route.path;
    const handler = route.handlers.get(ctx.method);
    // Never reached through the front door, which refuses such a method first.
    if (handler === undefined) throw methodNotAllowed(route.name, route.allow);
    await handler(ctx, params);
  });
  return app;
}
