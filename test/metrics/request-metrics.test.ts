/**
 * RequestMetrics counts requests in plain arrays and shows them to prom-client's registry as its
 * own metrics: the exposition must be exactly what prom-client's Counter and Histogram would render
 * for the same observations, in the Prometheus text format and as JSON, and `resetMetrics` resets.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestMetrics } from '../../src/metrics/request-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const NAMES = {
  counterName: 'test_requests_total',
  counterHelp: 'requests',
  histogramName: 'test_request_duration_seconds',
  histogramHelp: 'durations',
};

const OBSERVATIONS: [route: string, method: string, status: number, seconds: number][] = [
  ['/token', 'POST', 200, 0.0004],
  ['/token', 'POST', 200, 0.001], // on a bound: counted in that bucket (le is inclusive)
  ['/token', 'POST', 400, 0.02],
  ['/jwks', 'GET', 304, 0.5],
  ['/jwks', 'GET', 200, 7], // above every bound: +Inf only
  ['unmatched', 'GET', 404, 0.003],
  ['/token', 'POST', 503, 0.05],
  ['/token', 'POST', 101, 0.0001],
];

const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

function withPromClient(): Registry {
  const registry = new Registry();
  const labelNames = ['route', 'method', 'status_class'];
  const counter = new Counter({ name: NAMES.counterName, help: NAMES.counterHelp, labelNames, registers: [registry] });
  const histogram = new Histogram({ name: NAMES.histogramName, help: NAMES.histogramHelp, labelNames, buckets: BUCKETS, registers: [registry] });
  for (const [route, method, status, seconds] of OBSERVATIONS) {
    counter.labels(route, method, statusClass(status)).inc();
    histogram.labels(route, method, statusClass(status)).observe(seconds);
  }
  return registry;
}

function withRequestMetrics(): { registry: Registry; metrics: RequestMetrics } {
  const registry = new Registry();
  const metrics = new RequestMetrics({ registry, ...NAMES, bucketsSeconds: BUCKETS });
  for (const [route, method, status, seconds] of OBSERVATIONS) metrics.observe(route, method, status, seconds);
  return { registry, metrics };
}

describe('RequestMetrics', () => {
  it('renders the same Prometheus text as prom-client for the same observations', async () => {
    expect(await withRequestMetrics().registry.metrics()).toBe(await withPromClient().metrics());
  });

  it('gives the same JSON as prom-client', async () => {
    expect(await withRequestMetrics().registry.getMetricsAsJSON()).toEqual(await withPromClient().getMetricsAsJSON());
  });

  it('keeps counting where it left off and starts from zero after resetMetrics', async () => {
    const { registry, metrics } = withRequestMetrics();
    metrics.observe('/token', 'POST', 200, 0.002);
    expect(await registry.metrics()).toContain('test_requests_total{route="/token",method="POST",status_class="2xx"} 3');
    expect(await registry.metrics()).toContain('test_request_duration_seconds_bucket{le="0.01",route="/token",method="POST",status_class="2xx"} 3');
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('test_requests_total{route="/token",method="POST",status_class="2xx"} 0');
    expect(await registry.metrics()).toContain('test_request_duration_seconds_sum{route="/jwks",method="GET",status_class="2xx"} 0');
  });
});
