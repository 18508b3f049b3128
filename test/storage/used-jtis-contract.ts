/**
 * The `used_jtis` store on SQLite and PostgreSQL: a key is accepted once, concurrent uses of one
 * key have exactly one winner, and the purge removes only expired keys. Client assertions and DPoP
 * proofs rely on it for single use across instances.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createKnexStores } from '../../src/storage/knex/index.js';
import type { Stores } from '../../src/storage/stores.js';
import { usedJtiKey } from '../../src/storage/used-jtis.js';
import { createDatabase } from '../helpers/postgres-server.js';

const postgresUrl = inject('postgresUrl');
const engines: Array<[string, () => Promise<Stores>]> = [
  ['sqlite', async () => createKnexStores({ engine: 'sqlite', filename: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-jti-')), 'db.sqlite') }, { migrate: true })],
];
if (postgresUrl !== '' || process.env.CI === 'true') {
  engines.push([
    'postgres',
    async () => createKnexStores({ engine: 'postgres', url: await createDatabase(postgresUrl, `jti_${crypto.randomBytes(6).toString('hex')}`) }, { migrate: true }),
  ]);
}

describe.each(engines)('used jtis on %s', (_engine, open) => {
  let stores: Stores | undefined;
  afterEach(async () => {
    await stores?.close();
  });

  it('accepts a key once, and one winner among concurrent uses', async () => {
    stores = await open();
    const key = usedJtiKey('client_assertion', 'client-a', 'jti-1');
    expect(await stores.usedJtis.use(key, 1000)).toBe(true);
    expect(await stores.usedJtis.use(key, 1000)).toBe(false);
    // The same jti from another client or as a proof is another key.
    expect(await stores.usedJtis.use(usedJtiKey('client_assertion', 'client-b', 'jti-1'), 1000)).toBe(true);
    expect(await stores.usedJtis.use(usedJtiKey('dpop_proof', 'client-a', 'jti-1'), 1000)).toBe(true);

    const contested = usedJtiKey('dpop_proof', 'jkt', 'jti-2');
    const results = await Promise.all(Array.from({ length: 8 }, () => stores!.usedJtis.use(contested, 1000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('purges only expired keys, in batches', async () => {
    stores = await open();
    for (let i = 0; i < 5; i += 1) await stores.usedJtis.use(usedJtiKey('dpop_proof', 'k', `old-${i}`), 100);
    await stores.usedJtis.use(usedJtiKey('dpop_proof', 'k', 'live'), 500);
    expect(await stores.usedJtis.purge(200, 3)).toBe(3);
    expect(await stores.usedJtis.purge(200, 3)).toBe(2);
    expect(await stores.usedJtis.purge(200, 3)).toBe(0);
    expect(await stores.usedJtis.use(usedJtiKey('dpop_proof', 'k', 'live'), 500)).toBe(false);
    expect(await stores.usedJtis.use(usedJtiKey('dpop_proof', 'k', 'old-0'), 500)).toBe(true);
  });
});
