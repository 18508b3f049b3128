/**
 * Storage contract section for the status-list store (src/storage/status-lists.ts): leases are
 * exclusive and reuse a list only once it is free, re-leasing clears its old bits and issued
 * indices, bits are idempotent and expire, and the indices issued to an owner come back as written
 * (time bounds included) until they expire. On SQLite the group commit (`recordIssued`) runs as
 * prepared statements (storage/knex/sqlite-status-list-store.ts): the stores here are the ones the
 * server opens, so that is what is checked.
 */
import { expect, it } from 'vitest';
import type { CurrentStores } from './contract.js';

export function statusListStoreContract(stores: CurrentStores): void {
  it('leases exclusively, reuses a list only after free_after, and clears its old bits on re-lease', async () => {
    const lists = stores().statusLists;
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
    const lists = stores().statusLists;
    await lists.lease({ now: 0, leaseUntil: 1, freeAfter: 2, newListId: 'old', capacity: 64 });
    const leases = await Promise.all(
      Array.from({ length: 4 }, (_, i) => lists.lease({ now: 10, leaseUntil: 310, freeAfter: 1270, newListId: `new-${i}`, capacity: 64 })),
    );
    const ids = leases.map((lease) => lease.listId);
    expect(new Set(ids).size).toBe(4);
    expect(ids.filter((id) => id === 'old')).toHaveLength(1);
  });

  it('records issued indices in one commit and finds them by owner, unexpired and issued before a bound', async () => {
    const lists = stores().statusLists;
    await lists.lease({ now: 1000, leaseUntil: 1300, freeAfter: 2260, newListId: 'list-a', capacity: 65_536 });
    await lists.recordIssued([
      { listId: 'list-a', owner: 'client:svc', issuedAt: 1000, expiresAt: 1900, indexes: [0, 7, 65_535] },
      { listId: 'list-a', owner: 'sub:ada', issuedAt: 1000, expiresAt: 1900, indexes: [7] },
      { listId: 'list-b', owner: 'client:svc', issuedAt: 1005, expiresAt: 1100, indexes: [300] },
      { listId: 'list-a', owner: 'grant:g1', issuedAt: 1010, expiresAt: 1910, indexes: [42, 43] },
    ]);
    await lists.recordIssued([]);
    const sorted = (entries: Array<{ listId: string; idx: number; expiresAt: number }>) =>
      [...entries].sort((a, b) => a.listId.localeCompare(b.listId) || a.idx - b.idx);
    expect(sorted(await lists.issuedTo('client:svc', 1000))).toEqual([
      { listId: 'list-a', idx: 0, expiresAt: 1900 },
      { listId: 'list-a', idx: 7, expiresAt: 1900 },
      { listId: 'list-a', idx: 65_535, expiresAt: 1900 },
      { listId: 'list-b', idx: 300, expiresAt: 1100 },
    ]);
    // Issued before 1005: the second row (issued at 1005) is left out; after 1100 it has expired.
    expect(sorted(await lists.issuedTo('client:svc', 1000, 1005)).map((entry) => entry.idx)).toEqual([0, 7, 65_535]);
    expect(sorted(await lists.issuedTo('client:svc', 1100)).map((entry) => entry.listId)).toEqual(['list-a', 'list-a', 'list-a']);
    expect(await lists.issuedTo('grant:g1', 1000)).toEqual([
      { listId: 'list-a', idx: 42, expiresAt: 1910 },
      { listId: 'list-a', idx: 43, expiresAt: 1910 },
    ]);
    expect(await lists.issuedTo('sid:nobody', 1000)).toEqual([]);

    // Expired rows go with the purge (entries and issued indices alike).
    await lists.markRevoked([{ listId: 'list-a', idx: 7, expiresAt: 1900 }]);
    expect(await lists.purgeExpired(1905)).toBe(1 + 3);
    expect(await lists.issuedTo('grant:g1', 1000)).toHaveLength(2);
    expect(await lists.issuedTo('client:svc', 0)).toEqual([]);
  });

  it('forgets the issued indices of a list when it is leased again', async () => {
    const lists = stores().statusLists;
    await lists.lease({ now: 0, leaseUntil: 1, freeAfter: 2, newListId: 'old', capacity: 64 });
    await lists.recordIssued([{ listId: 'old', owner: 'client:svc', issuedAt: 0, expiresAt: 5, indexes: [1] }]);
    expect((await lists.lease({ now: 3, leaseUntil: 300, freeAfter: 1200, newListId: 'new', capacity: 64 })).listId).toBe('old');
    expect(await lists.issuedTo('client:svc', 0)).toEqual([]);
  });
}
