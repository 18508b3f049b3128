/**
 * One scrape for the whole machine when Inkan runs several workers (WORKERS > 1). Each worker
 * gives a snapshot of its registries (`Metrics.snapshot`, prom-client's metrics JSON); the primary
 * gathers the snapshots of the workers that serve (cluster/primary.ts) and merges them metric by
 * metric with prom-client's cluster aggregation and each metric's `aggregator`: counters and
 * histograms add up (requests, tokens, logins of every worker), the gauges read from the database
 * say `first` (metrics.ts), the process metrics use the aggregators prom-client gives them.
 */
import { AggregatorRegistry } from 'prom-client';
import type { Exposition } from './metrics.js';

/** One worker's metrics, as they cross the IPC channel. */
export type MetricsSnapshot = readonly unknown[];

export async function aggregateSnapshots(snapshots: readonly MetricsSnapshot[]): Promise<Exposition> {
  const registry = AggregatorRegistry.aggregate(snapshots as object[]);
  return { contentType: registry.contentType, body: await registry.metrics() };
}
