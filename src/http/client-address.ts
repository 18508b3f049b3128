/**
 * The address a request came from. With TRUST_PROXY=n, the operator's own n proxies append to
 * `X-Forwarded-For`: the client is the leftmost of the last n entries, which a client cannot
 * forge (anything it sends itself sits further left). Without it, the socket's peer.
 * The same rule as Koa's `proxy` + `maxIpsCount`, kept in one place for Koa and the hot path.
 */
import type { IncomingMessage } from 'node:http';

export function clientAddress(req: IncomingMessage, trustedProxyHops: number): string {
  const forwarded = trustedProxyHops > 0 ? req.headers['x-forwarded-for'] : undefined;
  if (typeof forwarded === 'string' && forwarded !== '') {
    const hops = forwarded.split(',');
    const client = hops[Math.max(0, hops.length - trustedProxyHops)]!.trim();
    if (client !== '') return client;
  }
  return req.socket.remoteAddress ?? '';
}
