/**
 * Starts and stops an Inkan server: deps, app, listener, key scheduler, and a graceful stop that
 * turns /readyz false, stops accepting, lets accepted requests finish (bounded), then closes the
 * database. main.ts uses it for `npm start`; tests use it to run real servers on ephemeral ports.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { buildApp } from './app.js';
import { createDeps, type CoreOptions, type Deps } from './deps.js';
import { startKeyScheduler } from './keys/scheduler.js';

export interface RunningServer {
  readonly deps: Deps;
  readonly url: string;
  readonly port: number;
  stop(graceMs?: number): Promise<void>;
}

export async function startServer(config: Config, log: Logger, options: CoreOptions = {}): Promise<RunningServer> {
  const deps = await createDeps(config, log, options);
  const app = buildApp(deps);
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const scheduler = startKeyScheduler(deps);
  const port = (server.address() as AddressInfo).port;
  log.info({ event: 'server.started', issuer: config.issuer, host: config.host, port }, 'Inkan is listening');

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      deps.readiness.accepting = false;
      scheduler.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive connections would hold close() open; in-flight requests finish first.
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await deps.stores.close();
      log.info({ event: 'server.stopped' }, 'Inkan stopped');
    })();
    return stopping;
  };
  return { deps, url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`, port, stop };
}
