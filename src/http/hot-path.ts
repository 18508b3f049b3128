/**
 * The hot path: endpoints answered on node:http directly, without Koa. The token endpoint is on
 * the path of every service-to-service call and the JWKS on every verifier's start, and Koa's
 * per-request context (context, request and response objects, the middleware chain, the router)
 * cost about a fifth of a token request (docs/performance.md). Everything Koa's middleware gives
 * the other endpoints, these get here from the same functions: the request id and the access-log
 * line (request-log.ts), the client address (client-address.ts), CORS (cors.ts), `nosniff`
 * (no-sniff.ts) and error rendering (error-handler.ts). Any other path goes to Koa.
 *
 * An endpoint returns an `Answer` or throws; this module writes either.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { OAuthError } from '../oauth/errors.js';
import { clientAddress } from './client-address.js';
import { CORS_HEADERS, isPreflight, PREFLIGHT_HEADERS } from './cors.js';
import { errorFor } from './error-handler.js';
import { NO_SNIFF_NAME, NO_SNIFF_VALUE } from './no-sniff.js';
import type { RequestLog } from './request-log.js';

export interface HotRequest {
  readonly req: IncomingMessage;
  readonly requestId: string;
  /** By the TRUST_PROXY rule (client-address.ts). */
  readonly clientAddress: string;
  /** Sets a header that goes out with the answer, an error answer included (e.g. `DPoP-Nonce`). */
  setHeader(name: string, value: string): void;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A body serialised here as `application/json; charset=utf-8`… */
  readonly json?: unknown;
  /** …or one sent as it is, with its `contentType`. */
  readonly body?: string | Buffer;
  readonly contentType?: string;
}

export interface HotEndpoint {
  readonly path: string;
  /** The methods it answers (GET answers HEAD too); any other gets 405 with `Allow`. */
  readonly methods: readonly ('GET' | 'POST')[];
  /** For error messages: "the token endpoint". */
  readonly name: string;
  /** Open to every origin (cors.ts), preflight included. */
  readonly cors: boolean;
  answer(request: HotRequest): Answer | Promise<Answer>;
}

export interface HotPathDeps {
  readonly requestLog: RequestLog;
  readonly log: Logger;
  readonly trustedProxyHops: number;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** A request listener that answers `endpoints` itself and hands every other path to `fallback`. */
export function hotPath(endpoints: readonly HotEndpoint[], deps: HotPathDeps, fallback: RequestListener): RequestListener {
  const byPath = new Map(endpoints.map((endpoint) => [endpoint.path, endpoint]));
  return (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    // One trailing slash is forgiven, as Koa's router forgives it on every other endpoint.
    const endpoint = byPath.get(path) ?? (path.length > 1 && path.endsWith('/') ? byPath.get(path.slice(0, -1)) : undefined);
    if (endpoint === undefined) fallback(req, res);
    else
      serve(endpoint, req, res, deps).catch((error: unknown) => {
        // Only a failure after the answer started can land here: nothing left to say but to hang up.
        deps.log.error({ err: error }, 'unexpected error while answering');
        res.destroy();
      });
  };
}

async function serve(endpoint: HotEndpoint, req: IncomingMessage, res: ServerResponse, deps: HotPathDeps): Promise<void> {
  const startedAt = process.hrtime.bigint();
  const offered = req.headers['x-request-id'];
  const requestId = deps.requestLog.idFor(typeof offered === 'string' ? offered : undefined);
  const method = req.method ?? 'GET';
  // Headers collect here as name/value pairs and go out in one writeHead: node's setHeader
  // validates and indexes each one, which the profile showed on every answer.
  const headers: string[] = ['X-Request-Id', requestId, NO_SNIFF_NAME, NO_SNIFF_VALUE];
  if (endpoint.cors) setHeaders(headers, CORS_HEADERS);
  const requestHeaders = headers.length;
  let answer: Answer;
  try {
    const answered = answerFor(endpoint, method, req, headers, requestId, deps.trustedProxyHops);
    // A synchronous answer (the JWKS) goes out in this tick, without a promise's round trip.
    answer = answered instanceof Promise ? await answered : answered;
  } catch (caught) {
    answer = errorAnswer(errorFor(caught, deps.log, requestId)); // keeps a DPoP-Nonce the endpoint set
  }
  let status: number;
  try {
    status = write(res, headers, answer);
  } catch (caught) {
    // Node refused a header (a bug, never the client's doing): a bare 500 instead.
    headers.length = requestHeaders;
    status = write(res, headers, errorAnswer(errorFor(caught, deps.log, requestId)));
  }
  deps.requestLog.answered({ requestId, method, path: endpoint.path, route: endpoint.path, status, startedAt });
}

function answerFor(endpoint: HotEndpoint, method: string, req: IncomingMessage, headers: string[], requestId: string, trustedProxyHops: number): Answer | Promise<Answer> {
  if (endpoint.cors && isPreflight(method, req.headers['access-control-request-method'])) {
    return { status: 204, headers: PREFLIGHT_HEADERS };
  }
  if (!allows(endpoint, method)) {
    const allow = endpoint.methods.includes('GET') ? ['GET', 'HEAD', ...endpoint.methods.filter((m) => m !== 'GET')] : endpoint.methods;
    throw new OAuthError('invalid_request', `${endpoint.name} accepts only ${allow.join(', ')}`, { status: 405, headers: { Allow: allow.join(', ') } });
  }
  return endpoint.answer({
    req,
    requestId,
    clientAddress: clientAddress(req, trustedProxyHops),
    setHeader: (name, value) => setHeader(headers, name, value),
  });
}

function allows(endpoint: HotEndpoint, method: string): boolean {
  return endpoint.methods.includes(method as 'GET' | 'POST') || (method === 'HEAD' && endpoint.methods.includes('GET'));
}

/** RFC 6749 §5.2 JSON; error answers are never cached. */
function errorAnswer(error: OAuthError): Answer {
  return { status: error.status, headers: { ...error.headers, 'Cache-Control': 'no-store' }, json: error.toJSON() };
}

/** Writes the answer in one writeHead and end (node leaves the body out for HEAD); returns its status. */
function write(res: ServerResponse, headers: string[], answer: Answer): number {
  if (answer.headers !== undefined) setHeaders(headers, answer.headers);
  const body = answer.json !== undefined ? JSON.stringify(answer.json) : answer.body;
  if (body !== undefined) {
    headers.push(
      'Content-Type', answer.json !== undefined ? JSON_TYPE : (answer.contentType ?? 'application/octet-stream'),
      'Content-Length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.length),
    );
  }
  res.writeHead(answer.status, headers);
  res.end(body);
  return answer.status;
}

/** Sets each header of `add`, replacing one of the same name set before (a fresher DPoP-Nonce). */
function setHeaders(headers: string[], add: Readonly<Record<string, string>>): void {
  for (const name in add) setHeader(headers, name, add[name]!);
}

function setHeader(headers: string[], name: string, value: string): void {
  const lower = name.toLowerCase();
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === lower) {
      headers[i + 1] = value;
      return;
    }
  }
  headers.push(name, value);
}
