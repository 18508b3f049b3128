/**
 * The SERVER span of every request (tracing/spans.ts), put around a listener: the front door, so
 * every request is one span whichever side answers it, a 404 or a refused method included. The
 * span continues the trace of an incoming W3C `traceparent`; request-log.ts ends it when the
 * answer goes out, with the route table's template and the status, and puts its ids in the
 * access line. With tracing off the API's no-op tracer answers and the listener runs as it is.
 */
import type { RequestListener } from 'node:http';
import { inRequestSpan } from '../tracing/spans.js';

export function tracedRequests(listener: RequestListener): RequestListener {
  return (req, res) => inRequestSpan(req.headers, req.method ?? 'GET', () => listener(req, res));
}
