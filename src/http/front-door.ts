/**
 * The request listener in front of every endpoint: it reads the route table's rows (routes.ts)
 * and applies, to every request and whoever answers it, the rules each row gets:
 *
 * 1. the route, by route-match.ts (the path, its one forgiven trailing slash, `:name` segments);
 *    no route: Koa answers (404);
 * 2. CORS, by cors.ts: an open route's preflight gets 204 here, and every answer of an open route
 *    its CORS headers;
 * 3. the method, by methods.ts: HEAD for GET; any method the row does not list gets 405 here;
 * 4. then the row's handler: on the hot path (hot-path.ts), or handed to Koa (koa-app.ts), which
 *    finds the same row with the same matcher and runs its handler.
 *
 * The refusals of steps 2 and 3 are written by the hot path for every route, so they are the same
 * answers (request id, access-log line, nosniff, RFC 6749 JSON) whichever side serves the route.
 */
import type { RequestListener, ServerResponse } from 'node:http';
import { CORS_HEADERS, isPreflight, PREFLIGHT_HEADERS } from './cors.js';
import { hotPath, type Answer, type HotHandler, type HotPathDeps, type HotTarget } from './hot-path.js';
import { methodNotAllowed, methodRule } from './methods.js';
import { isHotRoute, type Handlers, type Route } from './route.js';
import { requestPath, routeMatcher } from './route-match.js';

/** A row prepared once, so that a request costs lookups, not work. */
interface DoorRoute extends HotTarget {
  readonly path: string;
  readonly openCors: boolean;
  /** The hot handler of each accepted method (HEAD included for GET); `koa` for a Koa row's. */
  readonly accepts: ReadonlyMap<string, HotHandler | 'koa'>;
  /** Throws the route's 405. */
  readonly refuse: HotHandler;
}

const PREFLIGHT_ANSWER: Answer = Object.freeze({ status: 204, headers: PREFLIGHT_HEADERS });
const preflight: HotHandler = () => PREFLIGHT_ANSWER;
const CORS_PAIRS: readonly string[] = Object.freeze(Object.entries(CORS_HEADERS).flat());

function prepare(route: Route): DoorRoute {
  // A Koa row's handlers run in Koa (koa-app.ts): here, only which methods it accepts matters.
  const handlers: Handlers<HotHandler | 'koa'> = isHotRoute(route) ? route.hot : Object.fromEntries(Object.keys(route.koa).map((method) => [method, 'koa']));
  const rule = methodRule(handlers);
  const openCors = route.cors === 'open';
  return {
    path: route.path,
    route: route.path,
    headers: openCors ? CORS_PAIRS : [],
    openCors,
    accepts: rule.handlers,
    refuse: () => {
      throw methodNotAllowed(route.name, rule.allow);
    },
  };
}

/** The listener of `routes`; `koa` is the Koa application (koa-app.ts) of the same rows. */
export function frontDoor(routes: readonly Route[], deps: HotPathDeps, koa: RequestListener): RequestListener {
  const matcher = routeMatcher(routes.map(prepare));
  const serveHot = hotPath(deps);
  return (req, res) => {
    const path = requestPath(req.url ?? '/');
    const route = matcher.match(path)?.route;
    if (route === undefined) return koa(req, res);
    const method = req.method ?? 'GET';
    if (route.openCors && isPreflight(method, req.headers['access-control-request-method'])) return serveHot(route, path, preflight, req, res);
    const handler = route.accepts.get(method);
    if (handler === undefined) return serveHot(route, path, route.refuse, req, res);
    if (handler !== 'koa') return serveHot(route, path, handler, req, res);
    if (route.openCors) setCorsHeaders(res);
    koa(req, res);
  };
}

function setCorsHeaders(res: ServerResponse): void {
  for (let i = 0; i < CORS_PAIRS.length; i += 2) res.setHeader(CORS_PAIRS[i]!, CORS_PAIRS[i + 1]!);
}
