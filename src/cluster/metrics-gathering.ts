/**
 * The primary's side of a scrape (WORKERS > 1): asks every worker that serves for its metrics
 * snapshot, waits for all of them, and merges them (metrics/cluster-metrics.ts). Only serving
 * workers are asked: one still starting could not answer yet. A worker that dies meanwhile is
 * not waited for. A worker that does not answer within GATHER_TIMEOUT_MS fails the scrape: a
 * failed scrape is what Prometheus expects of a server it cannot read whole, where counters
 * missing a worker would look like a reset.
 */
import type { Worker } from 'node:cluster';
import { aggregateSnapshots, type MetricsSnapshot } from '../metrics/cluster-metrics.js';
import type { Exposition } from '../metrics/metrics.js';

const GATHER_TIMEOUT_MS = 5000;

interface Gathering {
  readonly waiting: Set<Worker>;
  readonly snapshots: MetricsSnapshot[];
  readonly finish: () => void;
}

export class MetricsGathering {
  private nextId = 0;
  private readonly open = new Map<number, Gathering>();

  constructor(private readonly ask: (worker: Worker, id: number) => void) {}

  gather(workers: readonly Worker[]): Promise<Exposition> {
    const id = this.nextId++;
    return new Promise<Exposition>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.open.delete(id);
        reject(new Error(`${gathering.waiting.size} worker(s) did not send their metrics within ${GATHER_TIMEOUT_MS} ms`));
      }, GATHER_TIMEOUT_MS);
      const gathering: Gathering = {
        waiting: new Set(workers),
        snapshots: [],
        finish: () => {
          clearTimeout(timer);
          this.open.delete(id);
          aggregateSnapshots(gathering.snapshots).then(resolve, reject);
        },
      };
      this.open.set(id, gathering);
      for (const worker of workers) this.ask(worker, id);
      if (workers.length === 0) gathering.finish();
    });
  }

  /** A worker's answer to request `id`. */
  collected(worker: Worker, id: number, snapshot: MetricsSnapshot): void {
    const gathering = this.open.get(id);
    if (gathering === undefined || !gathering.waiting.delete(worker)) return;
    gathering.snapshots.push(snapshot);
    if (gathering.waiting.size === 0) gathering.finish();
  }

  /** A worker exited: its metrics went with it. */
  gone(worker: Worker): void {
    for (const gathering of [...this.open.values()]) {
      if (gathering.waiting.delete(worker) && gathering.waiting.size === 0) gathering.finish();
    }
  }
}
