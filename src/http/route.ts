/**
 * The shape of one row of the route table (routes.ts): an endpoint's path, the methods it answers
 * with their handlers, its CORS policy, and who answers it: the hot path (hot-path.ts) or Koa
 * (koa-app.ts). A row holds no rule of its own: the rules every row gets (the path and its one
 * trailing slash, CORS and its preflight, HEAD for GET, 405 with `Allow`) are applied to every
 * request by front-door.ts, from one module each (route-match.ts, cors.ts, methods.ts).
 */
import type { Context } from 'koa';
import type { HotHandler } from './hot-path.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * `open`: any origin may call it from JavaScript, without credentials (cors.ts); for endpoints
 * that read no cookie. `none`: no CORS header at all; for the cookie-bearing pages and the rest.
 */
export type CorsPolicy = 'open' | 'none';

/** The values of a path's `:name` segments, percent-decoded. */
export type RouteParams = Readonly<Record<string, string>>;

/** A Koa endpoint: sets ctx's status, headers and body, or throws (error-handler.ts renders it). */
export type KoaHandler = (ctx: Context, params: RouteParams) => void | Promise<void>;

/** The handler of each method a route answers; GET answers HEAD too (methods.ts). */
export type Handlers<H> = Readonly<Partial<Record<Method, H>>>;

interface RouteRow {
  /** Exact (`/token`), or with `:name` segments (`/status-lists/:listId`); also the metrics' route label. */
  readonly path: string;
  /** How a refused method names it: "the token endpoint accepts only POST". */
  readonly name: string;
  readonly cors: CorsPolicy;
  /** Served by the management listener when MANAGEMENT_PORT is set; by the public one otherwise. */
  readonly management?: true;
}

/** Answered on node:http directly, for speed (hot-path.ts). */
export interface HotRoute extends RouteRow {
  readonly hot: Handlers<HotHandler>;
}

/** Answered by Koa (koa-app.ts). */
export interface KoaRoute extends RouteRow {
  readonly koa: Handlers<KoaHandler>;
}

export type Route = HotRoute | KoaRoute;

export function isHotRoute(route: Route): route is HotRoute {
  return 'hot' in route;
}
