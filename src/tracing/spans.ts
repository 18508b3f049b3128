/**
 * Inkan's spans, through the OpenTelemetry API (`@opentelemetry/api`) only. The API is a global
 * facade by design: until an SDK registers itself (tracing/sdk.ts, when OTEL_* asks for an
 * exporter) every call lands in the API's no-op tracer and context manager, so instrumented code
 * needs no tracer passed to it and costs next to nothing when tracing is off. Threading a tracer
 * through every constructor would touch every module for no gain: the seams below are the only
 * callers (the front door, the knex layer, password hashing, JWS signing, outbound HTTP).
 *
 * Two kinds of span:
 * - **children** (`inChildSpan`, `startChildSpan`): a database statement, a password hash, a
 *   signature. They exist only inside a recording span (a traced request): the schedulers' and
 *   pollers' statements, every 250 ms, never start traces of their own, and with tracing off the
 *   check is one lookup in the API's empty root context.
 * - **roots or children** (`outboundCall`): an HTTP call Inkan makes, which a background
 *   deliverer (back-channel logout, Shared Signals push) makes outside any request.
 *
 * What goes into attributes is chosen at each seam and is never a secret, a token, a cookie or a
 * query string; an error becomes the span's status with the error's name only, because messages
 * can carry data (knex puts a failed statement's bound values into its error message).
 */
import { context, createContextKey, INVALID_SPAN_CONTEXT, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/** The one tracer: the API's no-op tracer until an SDK registers a provider. */
const tracer = trace.getTracer('inkan');

export type SpanAttributes = Attributes;

/** Whether the active span records: only then are child spans worth starting (and describing). */
export function recordingParent(): boolean {
  const parent = trace.getActiveSpan();
  return parent !== undefined && parent.isRecording();
}

/**
 * Runs `work` inside a child span of the active span when that one records, else just runs it.
 * A promise's span ends when it settles. `attributes` may be a function, called only when traced.
 */
export function inChildSpan<T>(name: string, attributes: Attributes | (() => Attributes), work: () => T): T {
  if (!recordingParent()) return work();
  return tracer.startActiveSpan(name, { attributes: typeof attributes === 'function' ? attributes() : attributes }, (span) => endWhenDone(span, work));
}

/**
 * `work` bound to the active context when a span records there, else `work` itself: for work that
 * runs later on behalf of the caller (a group commit runs every waiting request's statements), so
 * its child spans still land in the caller's trace.
 */
export function inActiveSpanLater<A extends unknown[], R>(work: (...args: A) => R): (...args: A) => R {
  return recordingParent() ? context.bind(context.active(), work) : work;
}

/** A child span whose end is reported by events (knex's query events): undefined when not traced. */
export interface OpenSpan {
  end(error?: unknown): void;
}

export function startChildSpan(name: string, attributes: Attributes): OpenSpan | undefined {
  if (!recordingParent()) return undefined;
  const span = tracer.startSpan(name, { attributes });
  return {
    end(error) {
      if (error !== undefined) markFailed(span, error);
      span.end();
    },
  };
}

function endWhenDone<T>(span: Span, work: () => T): T {
  let result: T;
  try {
    result = work();
  } catch (error) {
    markFailed(span, error);
    span.end();
    throw error;
  }
  if (!(result instanceof Promise)) {
    span.end();
    return result;
  }
  return result.then(
    (value: unknown) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      markFailed(span, error);
      span.end();
      throw error;
    },
  ) as T;
}

/** The error's name only (`SqliteError`, `JwksFetchError`), never its message. */
function markFailed(span: Span, error: unknown): void {
  const type = error instanceof Error ? error.name : typeof error;
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** What an outbound call is for: the span's name and `inkan.outbound.purpose`. */
/** What an outbound request is for: the span's name after the method (`GET jwks_uri`). */
export type OutboundPurpose = 'jwks_uri' | 'openid_configuration' | 'backchannel_logout' | 'ssf_push';

/**
 * One HTTP request Inkan sends: a CLIENT span (the request's child, or a root in a background
 * deliverer) with the method, the server's address and port and the answer's status; `send` gets
 * the W3C `traceparent` (and `tracestate`) headers to add, empty when tracing is off. Only the
 * scheme, host, port and path of `url` are recorded, never its query.
 */
export async function outboundCall<T>(
  purpose: OutboundPurpose,
  method: string,
  url: URL,
  send: (traceHeaders: Record<string, string>) => Promise<T>,
  outcomeOf: (result: T) => OutboundOutcome,
): Promise<T> {
  const span = tracer.startSpan(`${method} ${purpose}`, { kind: SpanKind.CLIENT });
  if (!span.isRecording()) return send({});
  span.setAttributes({
    'inkan.outbound.purpose': purpose,
    'http.request.method': method,
    'url.scheme': url.protocol.slice(0, -1),
    'server.address': url.hostname,
    'server.port': url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    'url.path': url.pathname,
  });
  const traceHeaders: Record<string, string> = {};
  const spanContext = trace.setSpan(context.active(), span);
  propagation.inject(spanContext, traceHeaders);
  try {
    const result = await context.with(spanContext, () => send(traceHeaders));
    const { status, error } = outcomeOf(result);
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    const failure = error ?? (status !== undefined && status >= 400 ? String(status) : undefined);
    if (failure !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: failure });
    return result;
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** How an outbound call ended: the answer's status, and why it failed when it did (no secret in it). */
export interface OutboundOutcome {
  readonly status?: number;
  readonly error?: string;
}

/** `fetch` with `outboundCall`'s span and trace headers around it. */
export function tracedFetch(purpose: OutboundPurpose, base?: typeof fetch): typeof fetch {
  // The global fetch is looked up per call, as an untraced call would.
  const send: typeof fetch = base ?? ((input, init) => globalThis.fetch(input, init));
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    return outboundCall(
      purpose,
      init?.method ?? (input instanceof Request ? input.method : 'GET'),
      url,
      (traceHeaders) => {
        if (Object.keys(traceHeaders).length === 0) return send(input, init);
        const headers = new Headers(init?.headers);
        for (const [name, value] of Object.entries(traceHeaders)) headers.set(name, value);
        return send(input, { ...init, headers });
      },
      (response) => ({ status: response.status }),
    );
  };
}

/** The server span of the request in progress, kept apart from whichever child is active. */
const SERVER_SPAN = createContextKey('inkan.server_span');

/** The W3C trace context of an incoming request's headers: `traceparent` and `tracestate`. */
const HEADER_GETTER = {
  keys: (headers: Readonly<Record<string, string | string[] | undefined>>) => Object.keys(headers),
  get: (headers: Readonly<Record<string, string | string[] | undefined>>, key: string) => headers[key],
};

/**
 * Runs `handle` inside the SERVER span of one incoming request, continuing the caller's trace
 * when its `traceparent` says so. The span is ended by `finishRequestSpan` when the answer goes
 * out (http/request-log.ts). Off, the API's no-op tracer answers and `handle` runs as it is.
 */
export function inRequestSpan(headers: Readonly<Record<string, string | string[] | undefined>>, method: string, handle: () => void): void {
  // W3C Trace Context is the only propagator (tracing/sdk.ts): without `traceparent` there is nothing to extract.
  const parent = headers.traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, headers, HEADER_GETTER);
  const span = tracer.startSpan(`HTTP ${method}`, { kind: SpanKind.SERVER }, parent);
  if (!span.isRecording()) {
    // Tracing off (the no-op tracer's invalid span): nothing to carry. Not sampled: the request
    // still runs in the span's context, so its outgoing calls propagate the unsampled trace.
    if (parent === ROOT_CONTEXT && span.spanContext() === INVALID_SPAN_CONTEXT) return handle();
    return context.with(trace.setSpan(parent, span), handle);
  }
  span.setAttribute('http.request.method', method);
  context.with(trace.setSpan(parent, span).setValue(SERVER_SPAN, span), handle);
}

function activeRequestSpan(): Span | undefined {
  const span = context.active().getValue(SERVER_SPAN) as Span | undefined;
  return span !== undefined && span.isRecording() ? span : undefined;
}

/** Adds attributes known only inside the endpoint (`inkan.client_id`) to the request's span. */
export function annotateRequest(attributes: Attributes): void {
  activeRequestSpan()?.setAttributes(attributes);
}

/** The ids a log line carries to find its trace. */
export interface TraceIds {
  readonly trace_id: string;
  readonly span_id: string;
}

export interface FinishedRequest {
  readonly method: string;
  /** The route table's template, undefined when no route matched. */
  readonly route: string | undefined;
  /** The path without its query string (which can carry codes and tokens). */
  readonly path: string;
  readonly status: number;
  /** The request id of the access line and `X-Request-Id`. */
  readonly requestId: string;
}

/**
 * Ends the request's span with the route table's template (`HTTP POST /token`; the path itself
 * would make every status list its own span name) and the status, and returns its ids for the
 * access line; undefined when the request is not traced.
 */
export function finishRequestSpan({ method, route, path, status, requestId }: FinishedRequest): TraceIds | undefined {
  const span = activeRequestSpan();
  if (span === undefined) return undefined;
  if (route !== undefined) {
    span.updateName(`HTTP ${method} ${route}`);
    span.setAttribute('http.route', route);
  }
  span.setAttributes({ 'url.path': path, 'http.response.status_code': status, 'inkan.request_id': requestId });
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: String(status) });
  span.end();
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
