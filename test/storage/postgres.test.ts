/**
 * The storage contract against a real PostgreSQL: the embedded server started by the global setup,
 * with a fresh database for every test. Where PostgreSQL could not start, the suite is skipped with
 * a visible warning locally; in CI (`CI=true`) it always runs, so a missing server fails the run.
 */
import crypto from 'node:crypto';
import { describe, inject } from 'vitest';
import { createKnexStores } from '../../src/storage/knex/index.js';
import { createDatabase } from '../helpers/postgres-server.js';
import { runStorageContract } from './contract.js';

const serverUrl = inject('postgresUrl');
const unavailable = serverUrl === '' && process.env.CI !== 'true';
if (unavailable) {
  console.warn('\n!! PostgreSQL is not available: the PostgreSQL storage contract is SKIPPED (it always runs in CI)\n');
}

describe.skipIf(unavailable)('postgres', () => {
  runStorageContract(
    'postgres',
    async () => {
      if (serverUrl === '') throw new Error('PostgreSQL did not start (global setup), and CI requires it');
      const database = { engine: 'postgres' as const, url: await createDatabase(serverUrl, `contract_${crypto.randomBytes(6).toString('hex')}`) };
      return { open: (migrate) => createKnexStores(database, { migrate }) };
    },
    { pushesChanges: true, exclusiveChangeLock: true },
  );
});
