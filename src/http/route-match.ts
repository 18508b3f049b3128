/**
 * Which row of the route table a request is for: the one matcher that the front door
 * (front-door.ts) and Koa (koa-app.ts) both use, so they can never disagree about a path.
 *
 * - The path is the request target up to `?`, compared exactly, case included (RFC 3986 §6.2.2.1).
 * - One trailing slash is forgiven (`/token/` is `/token`); two are not (`/token//` is no route).
 * - A `:name` segment matches one non-empty segment, percent-decoded (left as sent when it does
 *   not decode).
 *
 * Exact paths cost one Map lookup (two with a trailing slash), and a query string one slice:
 * the hot path's endpoints are all exact. Paths with segments are tried after, in table order.
 */
import type { RouteParams } from './route.js';

export interface RouteMatch<R> {
  readonly route: R;
  readonly params: RouteParams;
}

export interface RouteMatcher<R> {
  /** The row for a path (from `requestPath`), or undefined: no such endpoint. */
  match(path: string): RouteMatch<R> | undefined;
}

const NO_PARAMS: RouteParams = Object.freeze({});

/** The path of a request target: everything before the query string. */
export function requestPath(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

interface Template<R> {
  readonly route: R;
  /** One entry per segment: a literal, or the name of a `:name` segment. */
  readonly segments: readonly { readonly literal?: string; readonly param?: string }[];
}

/** Compiles the rows once; a path declared twice is a mistake in the table and throws. */
export function routeMatcher<R extends { readonly path: string }>(routes: readonly R[]): RouteMatcher<R> {
  const exact = new Map<string, RouteMatch<R>>();
  const templates: Template<R>[] = [];
  const seen = new Set<string>();
  for (const route of routes) {
    if (seen.has(route.path)) throw new Error(`the route table declares ${route.path} twice`);
    seen.add(route.path);
    if (route.path.includes('/:')) {
      templates.push({ route, segments: route.path.split('/').map((segment) => (segment.startsWith(':') ? { param: segment.slice(1) } : { literal: segment })) });
    } else {
      // Built once: an exact match allocates nothing per request.
      exact.set(route.path, Object.freeze({ route, params: NO_PARAMS }));
    }
  }
  return {
    match(path) {
      const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : undefined;
      const found = exact.get(path) ?? (trimmed === undefined ? undefined : exact.get(trimmed));
      if (found !== undefined || templates.length === 0) return found;
      return matchTemplate(templates, path) ?? (trimmed === undefined ? undefined : matchTemplate(templates, trimmed));
    },
  };
}

function matchTemplate<R>(templates: readonly Template<R>[], path: string): RouteMatch<R> | undefined {
  const parts = path.split('/');
  for (const { route, segments } of templates) {
    if (segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = segments.every((segment, index) => {
      const part = parts[index]!;
      if (segment.param === undefined) return part === segment.literal;
      if (part === '') return false;
      params[segment.param] = decoded(part);
      return true;
    });
    if (matches) return { route, params };
  }
  return undefined;
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
