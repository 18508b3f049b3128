/**
 * The two metrics of answered HTTP requests, `inkan_http_requests_total` and
 * `inkan_http_request_duration_seconds`, counted in plain arrays on the request path and handed to
 * prom-client's registry as metrics of its own shape, read when Prometheus scrapes.
 *
 * Why not prom-client's own Counter and Histogram: their labelled `inc` and `observe` check and
 * hash the label values on every call, even on a cached child, and that cost a sixth of a JWKS
 * request and 5% of a token request (docs/performance.md). Here a request costs two map lookups,
 * a bucket search and three additions. The exposition is the same as prom-client's: one counter
 * series and one histogram (cumulative `_bucket` with `le`, `_sum`, `_count`) per route template,
 * method and status class.
 */
import type { Metric, Registry } from 'prom-client';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

type Labels = { readonly route: string; readonly method: string; readonly status_class: string };
/** A sample as prom-client's registry reads it from a metric's `get()`. */
type Sample = { readonly labels: Readonly<Record<string, string | number>>; readonly value: number; readonly metricName?: string; readonly exemplar?: null };

/** One (route, method, status class): bucket counts (not cumulative; the last is +Inf), sum, count. */
interface Series {
  readonly labels: Labels;
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

interface RequestMetricsOptions {
  readonly registry: Registry;
  readonly counterName: string;
  readonly counterHelp: string;
  readonly histogramName: string;
  readonly histogramHelp: string;
  /** Upper bounds in seconds, ascending. */
  readonly bucketsSeconds: readonly number[];
}

export class RequestMetrics {
  private readonly bounds: readonly number[];
  /** route → method → the series of each status class (index 0 = 1xx). */
  private readonly series = new Map<string, Map<string, (Series | undefined)[]>>();
  /** Every series, in creation order, for the exposition. */
  private readonly all: Series[] = [];

  constructor(options: RequestMetricsOptions) {
    this.bounds = options.bucketsSeconds;
    this.expose(options.registry, options.counterName, options.counterHelp, 'counter', () => this.all.map((s) => ({ labels: s.labels, value: s.count })));
    this.expose(options.registry, options.histogramName, options.histogramHelp, 'histogram', () => this.histogramValues(options.histogramName));
  }

  observe(route: string, method: string, status: number, seconds: number): void {
    const series = this.seriesFor(route, method, status);
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]!) bucket += 1;
    series.buckets[bucket]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  private seriesFor(route: string, method: string, status: number): Series {
    let byMethod = this.series.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.series.set(route, byMethod);
    }
    let byClass = byMethod.get(method);
    if (byClass === undefined) {
      byClass = [];
      byMethod.set(method, byClass);
    }
    const index = Math.min(Math.max(Math.floor(status / 100), 1), 5) - 1;
    let series = byClass[index];
    if (series === undefined) {
      series = { labels: { route, method, status_class: STATUS_CLASSES[index]! }, buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      byClass[index] = series;
      this.all.push(series);
    }
    return series;
  }

  private histogramValues(name: string): Sample[] {
    const values: Sample[] = [];
    for (const series of this.all) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i += 1) {
        cumulative += series.buckets[i]!;
        values.push({ labels: { le: i < this.bounds.length ? this.bounds[i]! : '+Inf', ...series.labels }, value: cumulative, metricName: `${name}_bucket`, exemplar: null });
      }
      values.push({ labels: series.labels, value: series.sum, metricName: `${name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${name}_count` });
    }
    return values;
  }

  /**
   * Registers a metric of prom-client's shape: the registry reads `name`, `help`, `type` and the
   * samples of `get()` when it renders, and calls `reset()` from `resetMetrics()` (both metrics
   * read the same series, so either one's reset clears both). (prom-client
   * types its registry for its own four classes, hence the one cast.)
   */
  private expose(registry: Registry, name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]): void {
    const all = this.all;
    const metric = {
      name,
      help,
      type,
      aggregator: 'sum',
      get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
      reset() {
        for (const series of all) {
          series.buckets.fill(0);
          series.sum = 0;
          series.count = 0;
        }
      },
    };
    registry.registerMetric(metric as unknown as Metric);
  }
}
