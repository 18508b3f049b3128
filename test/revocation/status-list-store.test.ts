/**
 * The status-list store on SQLite and PostgreSQL: leases are exclusive and reuse a list only once
 * it is free, re-leasing clears its old bits, bits are idempotent and expire.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createKnexStores } from '../../src/storage/knex/index.js';
import type { Stores } from '../../src/storage/stores.js';
import { createDatabase } from '../helpers/postgres-server.js';

const serverUrl = inject('postgresUrl');
const engines: Array<[string, () => Promise<Stores>]> = [
  ['sqlite', async () => createKnexStores({ engine: 'sqlite', filename: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-sl-')), 'db.sqlite') }, { migrate: true })],
];
if (serverUrl !== '' || process.env.CI === 'true') {
  engines.push(['postgres', async () => createKnexStores({ engine: 'postgres', url: await createDatabase(serverUrl, `sl_${crypto.randomBytes(6).toString('hex')}`) }, { migrate: true })]);
}

describe.each(engines)('%s', (_name, open) => {
  let stores: Stores | undefined;
  afterEach(async () => {
    await stores?.close();
  });

  it('leases exclusively, reuses a list only after free_after, and clears its old bits on re-lease', async () => {
    stores = await open();
    const lists = stores.statusLists;
    const lease = (now: number, newListId: string) => lists.lease({ now, leaseUntil: now + 300, freeAfter: now + 1260, newListId, capacity: 64 });
    const a = await lease(1000, 'list-a');
    const b = await lease(1001, 'list-b');
    expect([a.listId, b.listId]).toEqual(['list-a', 'list-b']);
    expect(await lists.capacity('list-a')).toBe(64);
    expect(await lists.capacity('nope')).toBeUndefined();

    await lists.markRevoked([{ listId: 'list-a', idx: 5, expiresAt: 2000 }, { listId: 'list-a', idx: 9, expiresAt: 1500 }]);
    await lists.markRevoked([{ listId: 'list-a', idx: 5, expiresAt: 2000 }]);
    expect((await lists.revokedIndexes('list-a', 1000)).sort((x, y) => x - y)).toEqual([5, 9]);
    expect(await lists.revokedIndexes('list-a', 1600)).toEqual([5]);
    expect(await lists.purgeExpired(1600)).toBe(1);

    expect((await lease(2259, 'list-c')).listId).toBe('list-c'); // nothing free yet
    const reused = await lease(2260, 'list-d');
    expect(reused.listId).toBe('list-a');
    expect(await lists.revokedIndexes('list-a', 0)).toEqual([]);
  });

  it('never gives one free list to two concurrent leases', async () => {
    stores = await open();
    const lists = stores.statusLists;
    await lists.lease({ now: 0, leaseUntil: 1, freeAfter: 2, newListId: 'old', capacity: 64 });
    const leases = await Promise.all(
      Array.from({ length: 4 }, (_, i) => lists.lease({ now: 10, leaseUntil: 310, freeAfter: 1270, newListId: `new-${i}`, capacity: 64 })),
    );
    const ids = leases.map((lease) => lease.listId);
    expect(new Set(ids).size).toBe(4);
    expect(ids.filter((id) => id === 'old')).toHaveLength(1);
  });
});
