/**
 * buildRequestListeners(deps, readiness): Inkan's HTTP surface as node request listeners, built
 * from the route table (routes.ts). Each listener is a front door (front-door.ts) over its rows,
 * with the Koa application (koa-app.ts) of the rows Koa answers behind it. With MANAGEMENT_PORT
 * set, the rows marked `management` (/metrics, /healthz, /readyz) form a second listener of their
 * own and leave the public one, which then exposes no client ids (the metrics' labels) to whoever
 * reaches Inkan. With tracing configured, each listener opens a request's trace span first
 * (request-trace.ts). None of them listens; server.ts does.
 */
import type { RequestListener } from 'node:http';
import type { Deps } from '../deps.js';
import type { Readiness } from './endpoints/health.js';
import { frontDoor } from './front-door.js';
import { koaApp } from './koa-app.js';
import { createRequestLog, type RequestLog } from './request-log.js';
import { tracedRequests } from './request-trace.js';
import { isHotRoute, type KoaRoute, type Route } from './route.js';
import { routeTable } from './routes.js';

export interface RequestListeners {
  readonly public: RequestListener;
  /** Only with MANAGEMENT_PORT: the listener of /metrics and the health endpoints. */
  readonly management: RequestListener | undefined;
}

export function buildRequestListeners(deps: Deps, readiness: Readiness): RequestListeners {
  const traced = deps.config.tracing.exporters.length > 0;
  const requestLog = createRequestLog(deps.log, (route, method, status, seconds) => deps.metrics.httpRequest(route, method, status, seconds), traced);
  const routes = routeTable(deps, readiness);
  const separate = deps.config.http.managementPort !== undefined;
  const listenerOf = (rows: readonly Route[]) => listenerFor(rows, deps, requestLog);
  return {
    public: listenerOf(separate ? routes.filter((route) => route.management !== true) : routes),
    management: separate ? listenerOf(routes.filter((route) => route.management === true)) : undefined,
  };
}

function listenerFor(routes: readonly Route[], deps: Deps, requestLog: RequestLog): RequestListener {
  const answering = { requestLog, log: deps.log, trustedProxyHops: deps.config.trustedProxyHops };
  const koaRoutes = routes.filter((route): route is KoaRoute => !isHotRoute(route));
  const listener = frontDoor(routes, answering, koaApp(koaRoutes, answering).callback());
  // Decided once, here: without an exporter no SDK runs (server.ts), so a request span could only be the no-op's.
  return deps.config.tracing.exporters.length > 0 ? tracedRequests(listener) : listener;
}
