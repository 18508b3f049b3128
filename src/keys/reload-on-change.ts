/**
 * Reloads the keyring the moment any process announces a key change on the `keys` channel
 * (PostgreSQL NOTIFY from the committing transaction, see storage/knex/change-feed.ts), so a
 * rotation or an emergency revocation on one instance shows in every instance's JWKS and signer
 * within milliseconds, not at the next poll. Reloads never overlap: notifications that arrive
 * during one are folded into one more reload after it. The scheduler's one-second poll stays as
 * the safety net for a notification lost while the LISTEN connection was down.
 */
import type { Logger } from 'pino';
import type { ChangeNotifier } from '../storage/changes.js';
import type { Keyring } from './keyring.js';

export interface KeyReloader {
  stop(): Promise<void>;
}

export function reloadKeysOnChange(deps: { changes: ChangeNotifier; keyring: Keyring; log: Logger }): KeyReloader {
  let running: Promise<void> | undefined;
  let again = false;
  const reload = (): void => {
    if (running !== undefined) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          if (await deps.keyring.refresh()) {
            deps.log.info({ event: 'keys.reloaded', version: deps.keyring.version, trigger: 'notification' }, 'signing keys reloaded');
          }
        } catch (error) {
          deps.log.warn({ err: error, event: 'keys.reload_failed' }, 'key reload after a change notification failed; the poll retries');
        }
      } while (again);
    })().finally(() => {
      running = undefined;
    });
  };
  const unsubscribe = deps.changes.subscribe('keys', reload);
  return {
    async stop() {
      unsubscribe();
      await running;
    },
  };
}
