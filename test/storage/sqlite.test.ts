/**
 * The storage contract against SQLite (better-sqlite3): a fresh database file for every test. Changes
 * are pushed between the processes sharing a file through the change sockets beside it (socket-bus.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { createKnexStores } from '../../src/storage/knex/index.js';
import { runStorageContract } from './contract.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-contract-sqlite-'));
let counter = 0;

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

runStorageContract(
  'sqlite',
  async () => {
    counter += 1;
    const database = { engine: 'sqlite' as const, filename: path.join(dir, `contract-${counter}.sqlite`) };
    return { open: (migrate) => createKnexStores(database, { migrate }) };
  },
  { pushesChanges: true, exclusiveChangeLock: false },
);
