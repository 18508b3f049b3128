/**
 * GET /metrics: the Prometheus exposition of metrics/metrics.ts. Open by default, like /readyz
 * (bind Inkan where only the scraper reaches it, or set METRICS_TOKEN): with METRICS_TOKEN set, the
 * scraper must send `Authorization: Bearer <METRICS_TOKEN>` (Prometheus `authorization:
 * credentials`), compared in constant time; anything else is a 401 with a Bearer challenge.
 */
import crypto from 'node:crypto';
import type { Metrics } from '../../metrics/metrics.js';
import { OAuthError } from '../../oauth/errors.js';
import type { KoaHandler } from '../route.js';

export interface MetricsEndpointDeps {
  readonly metrics: Pick<Metrics, 'render'>;
  readonly metricsToken: string | undefined;
}

const digest = (value: string) => crypto.createHash('sha256').update(value, 'utf8').digest();

export function metricsEndpoint(deps: MetricsEndpointDeps): KoaHandler {
  const expected = deps.metricsToken === undefined ? undefined : digest(deps.metricsToken);
  return async (ctx) => {
    if (expected !== undefined) {
      const match = /^Bearer +(\S+) *$/i.exec(ctx.get('authorization'));
      // Comparing digests keeps the comparison constant-time whatever the presented length.
      if (match === null || !crypto.timingSafeEqual(digest(match[1]!), expected)) {
        throw new OAuthError('invalid_token', 'the metrics need the bearer token configured in METRICS_TOKEN', {
          status: 401,
          headers: { 'WWW-Authenticate': 'Bearer realm="inkan-metrics"' },
        });
      }
    }
    const { contentType, body } = await deps.metrics.render();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = contentType;
    ctx.body = body;
  };
}
