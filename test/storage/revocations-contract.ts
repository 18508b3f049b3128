/**
 * Storage contract section for the revocation store (src/storage/revocations.ts): records of every
 * kind append with increasing ids, also when added concurrently, and list after an id in id order;
 * a jti record keeps where its token's status bit is; expired records leave the listings and are
 * purged, at most `limit` at a time.
 */
import { expect, it } from 'vitest';
import type { RevocationTarget } from '../../src/storage/revocations.js';
import type { CurrentStores } from './contract.js';

const NOW = 1_700_000_000;

const targets: RevocationTarget[] = [
  { kind: 'jti', jti: 'jti-1' },
  { kind: 'subject', sub: 'user-1', notBefore: NOW + 1 },
  { kind: 'session', sid: 'session-1' },
  { kind: 'grant', grantId: 'grant-1' },
  { kind: 'client', clientId: 'client-1', notBefore: NOW + 1 },
];

export function revocationStoreContract(stores: CurrentStores): void {
  it('appends records of every kind with increasing ids and lists them after an id, in order', async () => {
    const added = [];
    for (const target of targets) added.push(await stores().revocations.add(target, NOW, NOW + 900));
    expect(added.map((record) => record.target)).toEqual(targets);
    for (let i = 1; i < added.length; i += 1) expect(added[i]!.id).toBeGreaterThan(added[i - 1]!.id);
    expect(await stores().revocations.listSince(0, NOW, 100)).toEqual(added);
    expect(await stores().revocations.listSince(added[1]!.id, NOW, 100)).toEqual(added.slice(2));
    expect(await stores().revocations.listSince(0, NOW, 2)).toEqual(added.slice(0, 2));
    expect(await stores().revocations.listSince(added.at(-1)!.id, NOW, 100)).toEqual([]);
  });

  it('keeps where a jti record\'s token has its status bit', async () => {
    const record = await stores().revocations.add({ kind: 'jti', jti: 'with-status' }, NOW, NOW + 900, { listId: 'list-1', idx: 65_535 });
    expect(record.statusEntry).toEqual({ listId: 'list-1', idx: 65_535 });
    const [listed] = await stores().revocations.listSince(record.id - 1, NOW, 1);
    expect(listed).toEqual(record);
    const plain = await stores().revocations.add({ kind: 'jti', jti: 'without-status' }, NOW, NOW + 900);
    expect((await stores().revocations.listSince(plain.id - 1, NOW, 1))[0]).not.toHaveProperty('statusEntry');
  });

  it('leaves expired records out of listings and purges them within the limit', async () => {
    const old = await Promise.all([1, 2, 3].map((i) => stores().revocations.add({ kind: 'jti', jti: `old-${i}` }, NOW, NOW + 5)));
    const kept = await stores().revocations.add({ kind: 'jti', jti: 'kept' }, NOW, NOW + 900);
    expect(await stores().revocations.listSince(0, NOW + 5, 100)).toEqual([kept]);
    expect((await stores().revocations.listSince(0, NOW, 100)).length).toBe(old.length + 1);
    expect(await stores().revocations.purgeExpired(NOW + 5, 2)).toBe(2);
    expect(await stores().revocations.purgeExpired(NOW + 5, 2)).toBe(1);
    expect(await stores().revocations.purgeExpired(NOW + 5, 2)).toBe(0);
    expect(await stores().revocations.listSince(0, NOW, 100)).toEqual([kept]);
  });

  it('gives concurrent appends distinct ids, all listed', async () => {
    const added = await Promise.all(Array.from({ length: 12 }, (_, i) => stores().revocations.add({ kind: 'jti', jti: `c-${i}` }, NOW, NOW + 900)));
    expect(new Set(added.map((record) => record.id)).size).toBe(12);
    const listed = await stores().revocations.listSince(0, NOW, 100);
    expect(listed.map((record) => record.id)).toEqual([...added.map((record) => record.id)].sort((a, b) => a - b));
  });
}
