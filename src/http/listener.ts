/**
 * The node HTTP server behind each of Inkan's listeners, with what node leaves open closed:
 * - Slow clients (slowloris, a drip-fed body): the headers must arrive within HEADERS_TIMEOUT and
 *   the whole request within REQUEST_TIMEOUT, or node answers 408 and closes. node checks these
 *   only every `connectionsCheckingInterval` (30 s by default, longer than the limits themselves),
 *   so the check runs at least four times per headers timeout, and at least once a second. The
 *   limits end when the request has been read: an answer that streams (the revocation feed) is
 *   never cut by them.
 * - At most MAX_CONNECTIONS open connections; node closes any further one as it arrives.
 * - An answer that closes the connection (`Connection: close`: a 413, a draining shutdown) while
 *   the client may still be uploading: node ends the socket and destroys it as soon as the answer
 *   is flushed, and the kernel answers whatever the client still sends with a reset, which a
 *   client busy writing sees (EPIPE) before it reads the answer. Here the socket half-closes after
 *   the answer and keeps reading (and discarding) for up to DRAIN_MS, or until the client closes
 *   its side, before it is destroyed.
 */
import http, { type RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpServerConfig } from '../config.js';

export const DRAIN_MS = 2000;
const KEEP_ALIVE_TIMEOUT_MS = 5000;

export function createListener(limits: HttpServerConfig, handle: RequestListener): http.Server {
  const headersTimeout = limits.headersTimeoutSeconds * 1000;
  const server = http.createServer(
    {
      headersTimeout,
      requestTimeout: limits.requestTimeoutSeconds * 1000,
      connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 4)),
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    },
    handle,
  );
  server.maxConnections = limits.maxConnections;
  server.on('connection', drainBeforeClosing);
  return server;
}

/** Replaces node's `destroySoon` (end, then destroy once flushed) for this socket, as the header says. */
function drainBeforeClosing(socket: Socket): void {
  socket.destroySoon = drainThenDestroy;
}

function drainThenDestroy(this: Socket): void {
  if (this.writable) this.end();
  if (this.destroyed) return;
  const timer = setTimeout(() => this.destroy(), DRAIN_MS);
  timer.unref();
  this.once('close', () => clearTimeout(timer));
  // Bytes no request will read (the rest of a refused body) are discarded as they come.
  this.resume();
}
