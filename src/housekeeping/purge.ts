/**
 * Background purge, so that no table grows without bound: refresh tokens past their idle expiry,
 * tokens and families of revoked or expired families, and revocation records whose tokens have all
 * expired. Each store deletes in bounded batches (one short statement each, so a purge never holds
 * a long lock), a run stops after MAX_BATCHES_PER_RUN per table, and runs never overlap.
 *
 * Consumed refresh tokens are deliberately NOT purged as soon as the grace window passes: they are
 * what recognises a replay (theft) of an old token. They go at their own idle expiry, after which a
 * replay could not have been used anyway; it is then answered as an unknown token.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Stores } from '../storage/stores.js';

export const PURGE_BATCH_SIZE = 500;
export const MAX_BATCHES_PER_RUN = 20;
export const PURGE_INTERVAL_MS = 60_000;

export interface PurgeDeps {
  readonly stores: Pick<Stores, 'refreshTokens' | 'revocations'>;
  readonly clock: Clock;
}

export interface PurgeCounts {
  readonly refreshTokens: number;
  readonly revocations: number;
}

async function inBatches(purge: (limit: number) => Promise<number>, batchSize: number): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
    const removed = await purge(batchSize);
    total += removed;
    if (removed < batchSize) break;
  }
  return total;
}

export async function purgeOnce(deps: PurgeDeps, batchSize = PURGE_BATCH_SIZE): Promise<PurgeCounts> {
  const now = deps.clock.nowSeconds();
  return {
    refreshTokens: await inBatches((limit) => deps.stores.refreshTokens.purge(now, limit), batchSize),
    revocations: await inBatches((limit) => deps.stores.revocations.purgeExpired(now, limit), batchSize),
  };
}

export interface Housekeeping {
  /** Stops the timer and waits for a run in progress, so the database can be closed after. */
  stop(): Promise<void>;
}

export function startHousekeeping(deps: PurgeDeps & { log: Logger }, intervalMs = PURGE_INTERVAL_MS): Housekeeping {
  let running: Promise<void> | undefined;
  const run = () => {
    if (running !== undefined) return;
    running = purgeOnce(deps)
      .then((counts) => {
        if (counts.refreshTokens + counts.revocations > 0) deps.log.info({ event: 'housekeeping.purged', ...counts }, 'purged expired rows');
      })
      .catch((error: unknown) => deps.log.error({ err: error, event: 'housekeeping.failed' }, 'purge failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
