/**
 * `npm start`: loadConfig → startServer → serve until SIGTERM/SIGINT. A configuration or start-up
 * problem is printed as one line, without a stack trace, and the process exits non-zero.
 */
import { ConfigError, loadConfig } from './config.js';
import { KeyEncryptionError } from './keys/encryption.js';
import { createLogger } from './log.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`inkan: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  // The log is buffered (log.ts): write what is pending before the process ends.
  const exit = (code: number) => log.flush(() => process.exit(code));
  try {
    const server = await startServer(config, log);
    let shuttingDown = false;
    const shutdown = (signal: string) => {
      if (shuttingDown) return;
      shuttingDown = true;
      log.info({ event: 'server.stopping', signal, graceSeconds: config.operations.shutdownGraceSeconds }, 'stopping');
      // A second signal means "now": skip what is left of the grace period.
      for (const again of ['SIGTERM', 'SIGINT'] as const) {
        process.once(again, () => {
          log.warn({ event: 'server.forced_stop', signal: again }, 'second signal: exiting without waiting');
          exit(1);
        });
      }
      server.stop().then(
        () => exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'unclean stop');
          exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  } catch (error) {
    const message = error instanceof KeyEncryptionError || error instanceof ConfigError ? error.message : `cannot start: ${(error as Error).message}`;
    log.fatal({ err: error }, message);
    process.stderr.write(`inkan: ${message}\n`);
    exit(1);
  }
}

void main();
