/**
 * A worker of a cluster (WORKERS > 1): says hello to the primary, waits for its place (`start`),
 * then serves like a lone server (serve.ts) with a `ClusterMembership`: it announces when it is
 * ready and when it stops, learns how many of the machine's workers are ready (for /readyz), has
 * the primary gather every worker's metrics for a scrape that lands on it (and gives its own when
 * the primary collects them), and has the primary count its revocation-feed streams with every
 * other worker's (FEED_MAX_STREAMS_PER_CLIENT holds per server).
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Exposition } from '../metrics/metrics.js';
import type { ClusterMembership } from '../server.js';
import { isPrimaryMessage, type ClusterStateMessage, type FeedReservedMessage, type MetricsAnswerMessage, type WorkerMessage } from './protocol.js';
import { releaseOnce } from '../revocation/feed-slots.js';
import { serve } from './serve.js';
import type { MetricsSnapshot } from '../metrics/cluster-metrics.js';

/** A scrape waits at most this for the primary (which itself gives the workers 5 s). */
const GATHER_TIMEOUT_MS = 8000;
/** A feed stream waits at most this for the primary's count; without an answer it is refused (429). */
const FEED_RESERVE_TIMEOUT_MS = 5000;

export function runWorker(config: Config, log: Logger): void {
  let state: ClusterStateMessage | undefined;
  let started = false;
  let nextRequest = 0;
  let snapshot: (() => Promise<MetricsSnapshot>) | undefined;
  const gathering = new Map<number, (answer: MetricsAnswerMessage | undefined) => void>();
  const reserving = new Map<number, (granted: boolean) => void>();
  // After the primary is gone there is nobody to tell (node:cluster ends such a worker anyway).
  const tell = (message: WorkerMessage) => {
    if (process.connected) process.send!(message);
  };

  /**
   * Asks the primary (`request` builds the message with its id) and waits for the answer that
   * `waiting` is given under that id, or resolves with `fallback` after `timeoutMs`.
   */
  const ask = <Answer>(waiting: Map<number, (answer: Answer) => void>, request: (id: number) => WorkerMessage, timeoutMs: number, fallback: Answer): Promise<Answer> => {
    const id = nextRequest++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(fallback);
      }, timeoutMs);
      waiting.set(id, (answer) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(answer);
      });
      tell(request(id));
    });
  };

  const membership = (schedules: boolean): ClusterMembership => ({
    schedules,
    workersNotReady: () => {
      if (state === undefined) return 'waiting for the other workers';
      return state.ready >= state.workers ? undefined : `${state.ready} of ${state.workers} workers ready`;
    },
    gatherMetrics: async (): Promise<Exposition> => {
      const answer = await ask<MetricsAnswerMessage | undefined>(gathering, (id) => ({ inkan: 'metrics', id }), GATHER_TIMEOUT_MS, undefined);
      if (answer?.body === undefined || answer.contentType === undefined) throw new Error('the workers\' metrics could not be gathered');
      return { contentType: answer.contentType, body: answer.body };
    },
    offerMetrics: (take) => {
      snapshot = take;
    },
    announceReady: () => tell({ inkan: 'ready' }),
    announceStopping: () => tell({ inkan: 'stopping' }),
    feedSlots: {
      reserve: async (clientId) => {
        const granted = await ask(reserving, (id) => ({ inkan: 'feed-reserve', id, clientId }), FEED_RESERVE_TIMEOUT_MS, false);
        return granted ? releaseOnce(() => tell({ inkan: 'feed-release', clientId })) : undefined;
      },
    },
  });

  /** The primary's count: to the stream waiting for it, or, when that gave up waiting, straight back. */
  const reserved = (message: FeedReservedMessage) => {
    const waiting = reserving.get(message.id);
    if (waiting !== undefined) waiting(message.granted);
    else if (message.granted) tell({ inkan: 'feed-release', clientId: message.clientId });
  };

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
    else if (message.inkan === 'feed-reserved') reserved(message);
    else if (!started) {
      started = true;
      void serve(config, log.child({ worker: message.slot }), membership(message.schedules));
    }
  });
  tell({ inkan: 'hello' });
}
