/**
 * The messages between the primary and its workers (WORKERS > 1, cluster/primary.ts), over
 * node:cluster's IPC channel. Every message carries `inkan` (node:cluster's own messages share the channel).
 */
import type { MetricsSnapshot } from '../metrics/cluster-metrics.js';

/** Primary → worker, once, in answer to its `hello`: the worker then starts its server. */
export interface StartMessage {
  readonly inkan: 'start';
  /** Which of the WORKERS places this process fills (0…WORKERS-1; a restarted worker takes its predecessor's). */
  readonly slot: number;
  /** This worker runs the machine's schedules: the key lifecycle and the housekeeping purge. */
  readonly schedules: boolean;
}

/** Primary → every worker, whenever a worker becomes ready or stops being ready. */
export interface ClusterStateMessage {
  readonly inkan: 'cluster';
  readonly ready: number;
  readonly workers: number;
}

/** Primary → worker: the answer to a `metrics` request. */
export interface MetricsAnswerMessage {
  readonly inkan: 'metrics';
  readonly id: number;
  readonly contentType?: string;
  readonly body?: string;
  /** Set when the workers' metrics could not be gathered (a worker did not answer in time). */
  readonly failed?: true;
}

/** Primary → worker: the answer to a `feed-reserve` (the client's id too, for an answer that came too late). */
export interface FeedReservedMessage {
  readonly inkan: 'feed-reserved';
  readonly id: number;
  readonly clientId: string;
  readonly granted: boolean;
}

/** Worker → primary. */
export type WorkerMessage =
  /** The worker listens for the primary's messages (sent before this could be lost). */
  | { readonly inkan: 'hello' }
  /** The server listens and /readyz would say ready. */
  | { readonly inkan: 'ready' }
  /** The graceful stop began (or the server cannot serve): count this worker out. */
  | { readonly inkan: 'stopping' }
  /** A scrape of /metrics reached this worker: the primary gathers every worker's. */
  | { readonly inkan: 'metrics'; readonly id: number }
  /** The answer to a `collect`: this worker's metrics (metrics/cluster-metrics.ts). */
  | { readonly inkan: 'collected'; readonly id: number; readonly snapshot: MetricsSnapshot }
  /** A revocation-feed stream is about to open for this client: may it (FEED_MAX_STREAMS_PER_CLIENT, machine-wide)? */
  | { readonly inkan: 'feed-reserve'; readonly id: number; readonly clientId: string }
  /** A stream that `feed-reserve` granted is over. */
  | { readonly inkan: 'feed-release'; readonly clientId: string };

/** Primary → worker: send your metrics snapshot (for a scrape that another worker, or this one, took). */
export interface CollectMessage {
  readonly inkan: 'collect';
  readonly id: number;
}

export type PrimaryMessage = StartMessage | ClusterStateMessage | MetricsAnswerMessage | CollectMessage | FeedReservedMessage;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  return isRecord(value) && (value.inkan === 'start' || value.inkan === 'cluster' || value.inkan === 'metrics' || value.inkan === 'collect' || value.inkan === 'feed-reserved');
}

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (!isRecord(value)) return false;
  switch (value.inkan) {
    case 'hello':
    case 'ready':
    case 'stopping':
      return true;
    case 'metrics':
      return typeof value.id === 'number';
    case 'collected':
      return typeof value.id === 'number' && Array.isArray(value.snapshot);
    case 'feed-reserve':
      return typeof value.id === 'number' && typeof value.clientId === 'string';
    case 'feed-release':
      return typeof value.clientId === 'string';
    default:
      return false;
  }
}
