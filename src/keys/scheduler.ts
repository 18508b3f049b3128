/**
 * Runs in every server process: each tick it applies the key lifecycle (pre-publish, promote,
 * drop expired keys: a compare-and-set, so only one process of a cluster wins each change) and
 * reloads the keyring when any process (this one, another server, the CLI) changed the keys.
 * On PostgreSQL the `keys` notification (keys/reload-on-change.ts) reloads the keyring at once;
 * this poll is the safety net for a lost notification and the only path on SQLite.
 */
import type { Logger } from 'pino';
import type { KeyManager } from './key-manager.js';
import type { Keyring } from './keyring.js';

export interface KeyScheduler {
  /** One tick, for tests and start-up. */
  tick(): Promise<void>;
  /** Stops ticking and waits for a tick in progress, so the database can be closed after it. */
  stop(): Promise<void>;
}

/**
 * `applyLifecycle: false` (the workers of a cluster but one, cluster/primary.ts): only reload the
 * keyring; the machine's scheduling worker applies the lifecycle for all of them.
 */
export function startKeyScheduler(deps: { keyManager: KeyManager; keyring: Keyring; log: Logger }, intervalMs = 1000, options: { applyLifecycle?: boolean } = {}): KeyScheduler {
  const applyLifecycle = options.applyLifecycle ?? true;
  let running: Promise<void> | undefined;
  const tick = async (): Promise<void> => {
    try {
      if (applyLifecycle && (await deps.keyManager.runSchedule('skip'))) deps.log.info({ event: 'keys.scheduled_change' }, 'signing keys changed by the schedule');
      if (await deps.keyring.refresh()) deps.log.info({ event: 'keys.reloaded', version: deps.keyring.version }, 'signing keys reloaded');
    } catch (error) {
      deps.log.error({ err: error }, 'key scheduler tick failed');
    }
  };
  const timer = setInterval(() => {
    // Never overlap ticks: a slow database must not pile them up.
    if (running === undefined) running = tick().finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
