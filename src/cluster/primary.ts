/**
 * `npm start` with WORKERS > 1: the primary process. It serves nothing itself and never opens the
 * database; it forks the workers (cluster/worker.ts), which share its listening socket (node:cluster
 * hands each accepted connection to the next worker in turn), and it keeps the machine whole:
 *
 * - Start-up: the worker of slot 0 starts first and alone, so it applies the migrations and
 *   creates the first keys before any other worker opens the database; then the others start
 *   together. A worker that fails while the machine starts fails the start: every worker is stopped
 *   and the primary exits 1 (the worker has printed why).
 * - One schedule per machine: slot 0 runs the key lifecycle and the housekeeping purge; a worker
 *   restarted in its place inherits the role. (Across machines the key lifecycle is a
 *   compare-and-set and the purges are idempotent, so one scheduler per machine is safe.)
 * - Readiness: each worker says when it serves and when it stops; the primary tells every worker
 *   how many are ready, so /readyz, whichever worker answers it, means every worker is ready.
 * - Metrics: a scrape that lands on a worker is answered with every worker's metrics, gathered here
 *   (metrics/cluster-metrics.ts).
 * - Revocation-feed streams: counted here for every worker (revocation/feed-slots.ts), so that a
 *   client holds at most FEED_MAX_STREAMS_PER_CLIENT on the server; a dead worker's are given back.
 * - A worker that dies is logged and restarted; one that keeps dying young is restarted after a
 *   growing delay, so a crash loop does not spin the machine.
 * - SIGTERM/SIGINT: relayed to every worker, each of which stops gracefully (server.ts); the primary
 *   exits when the last one has, 0 if they all stopped cleanly. A worker still running
 *   SHUTDOWN_GRACE_SECONDS + 5 s later is killed; a second signal kills them all at once.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { MetricsGathering } from './metrics-gathering.js';
import { FeedSlotCounts } from '../revocation/feed-slots.js';
import { isWorkerMessage, type PrimaryMessage } from './protocol.js';
import { exitAfterLog } from '../log.js';

/** A worker that ran at least this long before it died is restarted at once. */
const HEALTHY_RUN_MS = 10_000;
const RESTART_DELAY_MIN_MS = 500;
const RESTART_DELAY_MAX_MS = 30_000;
/** How long after SHUTDOWN_GRACE_SECONDS a stopping worker is given before it is killed. */
const STOP_MARGIN_MS = 5000;

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  ready: boolean;
  startedAtMs: number;
  /** Deaths in a row of workers that ran less than HEALTHY_RUN_MS. */
  youngDeaths: number;
}

export function runPrimary(config: Config, log: Logger): void {
  const slots: Slot[] = Array.from({ length: config.workers }, (_, index) => ({ index, worker: undefined, ready: false, startedAtMs: 0, youngDeaths: 0 }));
  /** True once every worker was ready at the same time: from then on a death is a crash to recover from. */
  let started = false;
  let stopping = false;
  let exitCode = 0;

  const send = (worker: Worker, message: PrimaryMessage) => {
    if (worker.isConnected()) worker.send(message);
  };
  const metrics = new MetricsGathering((worker, id) => send(worker, { inkan: 'collect', id }));
  /** Every worker's revocation-feed streams, so that FEED_MAX_STREAMS_PER_CLIENT holds for the machine. */
  const feedSlots = new FeedSlotCounts<Worker>(config.feedMaxStreamsPerClient);
  const live = () => slots.flatMap((slot) => (slot.worker === undefined ? [] : [slot.worker]));
  const broadcast = () => {
    const ready = slots.filter((slot) => slot.ready).length;
    for (const worker of live()) send(worker, { inkan: 'cluster', ready, workers: config.workers });
    if (!started && ready === config.workers) {
      started = true;
      log.info({ event: 'cluster.started', workers: config.workers }, `all ${config.workers} workers are serving`);
    }
  };

  const fork = (slot: Slot) => {
    const worker = cluster.fork();
    slot.worker = worker;
    slot.ready = false;
    slot.startedAtMs = Date.now();
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      switch (message.inkan) {
        case 'hello':
          send(worker, { inkan: 'start', slot: slot.index, schedules: slot.index === 0 });
          return;
        case 'ready':
          slot.ready = true;
          broadcast();
          // Slot 0 has migrated the database and made the keys: the others may start (unless a
          // signal came meanwhile: nobody would stop a worker forked now, and the stop would wait for it).
          if (!started && !stopping && slot.index === 0) for (const other of slots) if (other.worker === undefined) fork(other);
          return;
        case 'stopping':
          slot.ready = false;
          broadcast();
          return;
        case 'collected':
          metrics.collected(worker, message.id, message.snapshot);
          return;
        case 'feed-reserve':
          send(worker, { inkan: 'feed-reserved', id: message.id, clientId: message.clientId, granted: feedSlots.take(message.clientId, worker) });
          return;
        case 'feed-release':
          feedSlots.give(message.clientId, worker);
          return;
        case 'metrics':
          metrics.gather(slots.flatMap((each) => (each.ready && each.worker !== undefined ? [each.worker] : []))).then(
            (exposition) => send(worker, { inkan: 'metrics', id: message.id, ...exposition }),
            (error: unknown) => {
              log.warn({ event: 'cluster.metrics_failed', err: error }, 'the workers\' metrics could not be gathered');
              send(worker, { inkan: 'metrics', id: message.id, failed: true });
            },
          );
          return;
      }
    });
    worker.once('exit', (code, signal) => exited(slot, worker, code, signal));
  };

  const exited = (slot: Slot, worker: Worker, code: number | null, signal: string | null) => {
    metrics.gone(worker);
    // Its streams ended with it.
    feedSlots.forget(worker);
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.ready = false;
    if (stopping) {
      // Only how the workers stop counts: a crash recovered from earlier is no failure of the stop.
      if (code !== 0) exitCode = 1;
      log.info({ event: 'cluster.worker_stopped', slot: slot.index, pid: worker.process.pid, exitCode: code, signal }, 'worker stopped');
      if (live().length === 0) finish();
      return;
    }
    broadcast();
    if (!started) {
      log.fatal({ event: 'cluster.start_failed', slot: slot.index, pid: worker.process.pid, exitCode: code, signal }, 'a worker failed while the server started: stopping');
      stopAll('start failed');
      return;
    }
    const ranMs = Date.now() - slot.startedAtMs;
    slot.youngDeaths = ranMs < HEALTHY_RUN_MS ? slot.youngDeaths + 1 : 0;
    const delayMs = slot.youngDeaths === 0 ? 0 : Math.min(RESTART_DELAY_MAX_MS, RESTART_DELAY_MIN_MS * 2 ** (slot.youngDeaths - 1));
    log.error({ event: 'cluster.worker_exited', slot: slot.index, pid: worker.process.pid, exitCode: code, signal, ranMs, restartInMs: delayMs }, 'a worker died: restarting it');
    setTimeout(() => {
      if (stopping) return;
      fork(slot);
      log.info({ event: 'cluster.worker_restarted', slot: slot.index, pid: slot.worker?.process.pid }, 'worker restarted');
    }, delayMs);
  };

  const finish = () => exitAfterLog(log, exitCode);

  const stopAll = (reason: string) => {
    stopping = true;
    if (reason === 'start failed') exitCode = 1;
    const workers = live();
    if (workers.length === 0) {
      finish();
      return;
    }
    for (const worker of workers) worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of live()) {
        log.warn({ event: 'cluster.worker_killed', pid: worker.process.pid }, 'a worker outlived the shutdown grace period: killed');
        worker.process.kill('SIGKILL');
      }
    }, config.operations.shutdownGraceSeconds * 1000 + STOP_MARGIN_MS).unref();
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ event: 'server.forced_stop', signal }, 'second signal: killing the workers without waiting');
      for (const worker of live()) worker.process.kill('SIGKILL');
      exitCode = 1;
      return;
    }
    log.info({ event: 'server.stopping', signal, workers: live().length, graceSeconds: config.operations.shutdownGraceSeconds }, 'stopping every worker');
    stopAll(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  log.info({ event: 'cluster.starting', workers: config.workers, pid: process.pid }, `starting ${config.workers} workers`);
  fork(slots[0]!);
}
