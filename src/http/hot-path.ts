/**
 * The hot path: answers written on node:http directly, without Koa. The token endpoint is on the
 * path of every service-to-service call and the JWKS on every verifier's start, and Koa's
 * per-request context (context, request and response objects, the middleware chain) cost about a
 * fifth of a token request (docs/performance.md). The route table (routes.ts) says which
 * endpoints are answered here; the front door (front-door.ts) routes to them and also answers here
 * what it refuses for any route (405, and CORS preflights), so those answers look alike whatever
 * serves the route.
 *
 * Everything Koa's middleware gives its endpoints, these get from the same functions: the request
 * id and the access-log line (request-log.ts), the client address (client-address.ts), `nosniff`
 * (no-sniff.ts) and error rendering (error-handler.ts). A handler returns an `Answer` or throws;
 * this module writes either.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { OAuthError } from '../oauth/errors.js';
import { clientAddress } from './client-address.js';
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
  /** Set by `prepareAnswer` only: what `write` would derive from the fields above, derived once. */
  readonly prepared?: PreparedParts;
}

interface PreparedParts {
  /** The answer's headers with Content-Type and Content-Length, as name/value pairs. */
  readonly headers: readonly string[];
  readonly body: string | undefined;
}

/**
 * An answer that goes out unchanged many times (the JWKS of one key set), with its headers, body
 * and Content-Length derived once instead of on every request. A Buffer body becomes a string
 * (its utf8): node joins a string body to the head and hands the socket one chunk, where a Buffer
 * is a chunk of its own beside the head; measured cheaper per answer (docs/performance.md).
 */
export function prepareAnswer(answer: Answer): Answer {
  const headers: string[] = [];
  if (answer.headers !== undefined) setHeaders(headers, answer.headers);
  const body = answer.json !== undefined ? JSON.stringify(answer.json) : typeof answer.body === 'string' ? answer.body : answer.body?.toString('utf8');
  if (body !== undefined) headers.push(...contentHeaders(answer, body));
  return Object.freeze({ ...answer, prepared: Object.freeze({ headers: Object.freeze(headers), body }) });
}

export type HotHandler = (request: HotRequest) => Answer | Promise<Answer>;

export interface HotPathDeps {
  readonly requestLog: RequestLog;
  readonly log: Logger;
  readonly trustedProxyHops: number;
}

/** The route a hot answer is for, as the front door prepared it once. */
export interface HotTarget {
  /** The route table's path: the metrics' route label. */
  readonly route: string;
  /** Name/value pairs every answer of the route carries (the CORS headers of an open route). */
  readonly headers: readonly string[];
}

/** Answers `req` with `handler`; `path` is the request's path without its query, for the access log. */
export type HotServe = (target: HotTarget, path: string, handler: HotHandler, req: IncomingMessage, res: ServerResponse) => void;

const JSON_TYPE = 'application/json; charset=utf-8';

export function hotPath(deps: HotPathDeps): HotServe {
  return (target, path, handler, req, res) => {
    const startedAt = process.hrtime.bigint();
    const offered = req.headers['x-request-id'];
    const requestId = deps.requestLog.idFor(typeof offered === 'string' ? offered : undefined);
    // Headers collect here as name/value pairs and go out in one writeHead: node's setHeader
    // validates and indexes each one, which the profile showed on every answer.
    const headers: string[] = ['X-Request-Id', requestId, NO_SNIFF_NAME, NO_SNIFF_VALUE];
    for (let i = 0; i < target.headers.length; i += 1) headers.push(target.headers[i]!);
    const answering: Answering = { target, path, req, res, requestId, startedAt, headers, requestHeaders: headers.length };
    let answered: Answer | Promise<Answer>;
    try {
      answered = handler({
        req,
        requestId,
        clientAddress: clientAddress(req, deps.trustedProxyHops),
        setHeader: (name, value) => setHeader(headers, name, value),
      });
    } catch (caught) {
      return finishWithError(answering, caught, deps);
    }
    // A synchronous answer (the JWKS) goes out in this tick, without a promise.
    if (!(answered instanceof Promise)) return finish(answering, answered, deps);
    answered.then(
      (answer) => finish(answering, answer, deps),
      (caught: unknown) => finishWithError(answering, caught, deps),
    );
  };
}

/** The handler threw or rejected: its error's answer, which keeps a DPoP-Nonce the handler set. */
function finishWithError(answering: Answering, caught: unknown, deps: HotPathDeps): void {
  let answer: Answer;
  try {
    answer = errorAnswer(errorFor(caught, deps.log, answering.requestId));
  } catch (error) {
    return hangUp(answering.res, error, deps);
  }
  finish(answering, answer, deps);
}

/** Nothing left to say (the answer started, or rendering the error failed): log and close. */
function hangUp(res: ServerResponse, error: unknown, deps: HotPathDeps): void {
  deps.log.error({ err: error }, 'unexpected error while answering');
  res.destroy();
}

/** One request on its way: what `finish` needs once the handler has answered. */
interface Answering {
  readonly target: HotTarget;
  readonly path: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly startedAt: bigint;
  readonly headers: string[];
  /** How many of `headers` the request itself set (the request id, nosniff, the route's). */
  readonly requestHeaders: number;
}

function finish(answering: Answering, answer: Answer, deps: HotPathDeps): void {
  const { res, headers, requestId } = answering;
  try {
    let status: number;
    try {
      status = write(res, headers, answer);
    } catch (caught) {
      // Node refused a header (a bug, never the client's doing): a bare 500 instead.
      headers.length = answering.requestHeaders;
      status = write(res, headers, errorAnswer(errorFor(caught, deps.log, requestId)));
    }
    deps.requestLog.answered({ requestId, method: answering.req.method ?? 'GET', path: answering.path, route: answering.target.route, status, startedAt: answering.startedAt });
  } catch (error) {
    // Only a failure after the answer started can land here: nothing left to say but to hang up.
    hangUp(res, error, deps);
  }
}

/** RFC 6749 §5.2 JSON; error answers are never cached. */
function errorAnswer(error: OAuthError): Answer {
  return { status: error.status, headers: { ...error.headers, 'Cache-Control': 'no-store' }, json: error.toJSON() };
}

/** Writes the answer in one writeHead and end (node leaves the body out for HEAD); returns its status. */
function write(res: ServerResponse, headers: string[], answer: Answer): number {
  const prepared = answer.prepared;
  let body: string | Buffer | undefined;
  if (prepared !== undefined) {
    for (let i = 0; i < prepared.headers.length; i += 2) setHeader(headers, prepared.headers[i]!, prepared.headers[i + 1]!);
    body = prepared.body;
  } else {
    if (answer.headers !== undefined) setHeaders(headers, answer.headers);
    body = answer.json !== undefined ? JSON.stringify(answer.json) : answer.body;
    if (body !== undefined) headers.push(...contentHeaders(answer, body));
  }
  res.writeHead(answer.status, headers);
  res.end(body);
  return answer.status;
}

function contentHeaders(answer: Answer, body: string | Buffer): [string, string, string, string] {
  return [
    'Content-Type', answer.json !== undefined ? JSON_TYPE : (answer.contentType ?? 'application/octet-stream'),
    'Content-Length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.length),
  ];
}

/** Sets each header of `add`, replacing one of the same name set before (a fresher DPoP-Nonce). */
function setHeaders(headers: string[], add: Readonly<Record<string, string>>): void {
  for (const name in add) setHeader(headers, name, add[name]!);
}

function setHeader(headers: string[], name: string, value: string): void {
  let lower: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const existing = headers[i]!;
    // Names of another length cannot match: most comparisons end here, without lowercasing.
    if (existing.length !== name.length) continue;
    lower ??= name.toLowerCase();
    if (existing.toLowerCase() === lower) {
      headers[i + 1] = value;
      return;
    }
  }
  headers.push(name, value);
}
