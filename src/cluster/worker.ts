/**
 * A worker of a cluster (WORKERS > 1): says hello to the primary, waits for its place (`start`),
 * then serves like a lone server (serve.ts) with a `ClusterMembership`: it announces when it is
 * ready and when it stops, learns how many of the machine's workers are ready (for /readyz), and
 * has the primary gather every worker's metrics for a scrape that lands on it (and gives its own
 * when the primary collects them).
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Exposition } from '../metrics/metrics.js';
import type { ClusterMembership } from '../server.js';
import { isPrimaryMessage, type ClusterStateMessage, type MetricsAnswerMessage, type WorkerMessage } from './protocol.js';
import { serve } from './serve.js';
import type { MetricsSnapshot } from '../metrics/cluster-metrics.js';

/** A scrape waits at most this for the primary (which itself gives the workers 5 s). */
const GATHER_TIMEOUT_MS = 8000;

export function runWorker(config: Config, log: Logger): void {
  let state: ClusterStateMessage | undefined;
  let started = false;
  let nextRequest = 0;
  let snapshot: (() => Promise<MetricsSnapshot>) | undefined;
  const gathering = new Map<number, (answer: MetricsAnswerMessage | undefined) => void>();
  // After the primary is gone there is nobody to tell (node:cluster ends such a worker anyway).
  const tell = (message: WorkerMessage) => {
    if (process.connected) process.send!(message);
  };

  const membership = (schedules: boolean): ClusterMembership => ({
    schedules,
    workersNotReady: () => {
      if (state === undefined) return 'waiting for the other workers';
      return state.ready >= state.workers ? undefined : `${state.ready} of ${state.workers} workers ready`;
    },
    gatherMetrics: async (): Promise<Exposition> => {
      const id = nextRequest++;
      const answer = await new Promise<MetricsAnswerMessage | undefined>((resolve) => {
        const timer = setTimeout(() => {
          gathering.delete(id);
          resolve(undefined);
        }, GATHER_TIMEOUT_MS);
        gathering.set(id, (message) => {
          clearTimeout(timer);
          gathering.delete(id);
          resolve(message);
        });
        tell({ inkan: 'metrics', id });
      });
      if (answer?.body === undefined || answer.contentType === undefined) throw new Error('the workers\' metrics could not be gathered');
      return { contentType: answer.contentType, body: answer.body };
    },
    offerMetrics: (take) => {
      snapshot = take;
    },
    announceReady: () => tell({ inkan: 'ready' }),
    announceStopping: () => tell({ inkan: 'stopping' }),
  });

  const collect = async (id: number) => {
    let taken: MetricsSnapshot = [];
    try {
      taken = (await snapshot?.()) ?? [];
    } catch (error) {
      log.warn({ event: 'cluster.metrics_snapshot_failed', err: error }, 'this worker\'s metrics could not be read');
    }
    tell({ inkan: 'collected', id, snapshot: taken });
  };

  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    if (message.inkan === 'cluster') state = message;
    else if (message.inkan === 'collect') void collect(message.id);
    else if (message.inkan === 'metrics') gathering.get(message.id)?.(message);
    else if (!started) {
      started = true;
      void serve(config, log.child({ worker: message.slot }), membership(message.schedules));
    }
  });
  tell({ inkan: 'hello' });
}
