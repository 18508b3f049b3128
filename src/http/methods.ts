/**
 * Which methods a route answers, and the answer to any other, for the hot path and Koa alike.
 * A row of the route table lists its methods with their handlers; GET answers HEAD too (the GET
 * handler runs, and node or Koa leaves the body out). Any other method, OPTIONS included (a CORS
 * preflight to an open route is answered before this rule: cors.ts), is refused with 405, `Allow`
 * (RFC 9110 §15.5.6) and an RFC 6749 error body that names the endpoint.
 */
import { OAuthError } from '../oauth/errors.js';
import type { Handlers, Method } from './route.js';

export interface MethodRule<H> {
  /** The handler of each accepted method, HEAD included when GET is there. */
  readonly handlers: ReadonlyMap<string, H>;
  /** The `Allow` value: `GET, HEAD` first when GET is there, then the others in table order. */
  readonly allow: string;
}

/** Built once per route: answering a request is then one Map lookup. */
export function methodRule<H>(handlers: Handlers<H>): MethodRule<H> {
  const map = new Map<string, H>();
  for (const method of Object.keys(handlers) as Method[]) map.set(method, handlers[method]!);
  if (handlers.GET !== undefined) map.set('HEAD', handlers.GET);
  const listed = Object.keys(handlers) as Method[];
  const allow = handlers.GET === undefined ? listed : ['GET', 'HEAD', ...listed.filter((method) => method !== 'GET')];
  return { handlers: map, allow: allow.join(', ') };
}

/** The 405 for a method the route does not answer; `name` as the table gives it ("the token endpoint"). */
export function methodNotAllowed(name: string, allow: string): OAuthError {
  return new OAuthError('invalid_request', `${name} accepts only ${allow}`, { status: 405, headers: { Allow: allow } });
}
