/**
 * One server, from start to exit: `npm start` with WORKERS=1, and every worker of a cluster.
 * A start-up problem is printed as one line, without a stack trace, and the process exits 1.
 * SIGTERM or SIGINT starts the graceful stop (server.ts) and the process exits 0 after it.
 *
 * A second signal: a lone server exits at once ("now"). A worker ignores it: on Ctrl-C the
 * terminal signals the whole process group, and the primary relays the same stop, so a worker
 * hears it twice; the primary alone decides when waiting is over (cluster/primary.ts).
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { KeyEncryptionError } from '../keys/encryption.js';
import { exitAfterLog } from '../log.js';
import { startServer, type ClusterMembership } from '../server.js';

export async function serve(config: Config, log: Logger, cluster?: ClusterMembership): Promise<void> {
  let server;
  try {
    server = await startServer(config, log, cluster === undefined ? {} : { cluster });
  } catch (error) {
    const message = error instanceof KeyEncryptionError || error instanceof ConfigError ? error.message : `cannot start: ${(error as Error).message}`;
    log.fatal({ err: error }, message);
    process.stderr.write(`inkan: ${message}\n`);
    exitAfterLog(log, 1);
    return;
  }
  const running = server;
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) {
      if (cluster !== undefined) return;
      log.warn({ event: 'server.forced_stop', signal }, 'second signal: exiting without waiting');
      exitAfterLog(log, 1);
      return;
    }
    shuttingDown = true;
    log.info({ event: 'server.stopping', signal, graceSeconds: config.operations.shutdownGraceSeconds }, 'stopping');
    running.stop().then(
      () => exitAfterLog(log, 0),
      (error: unknown) => {
        log.error({ err: error }, 'unclean stop');
        exitAfterLog(log, 1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
