import { describe, expect, it } from 'vitest';
import { cachedClientLookup } from '../../src/clients/client-cache.js';
import type { ClientRecord } from '../../src/storage/clients.js';

const client = (clientId: string): ClientRecord => ({
  clientId, name: clientId, secretHash: null, authMethod: 'client_secret_basic', grantTypes: ['client_credentials'],
  redirectUris: [], postLogoutRedirectUris: [], scopes: [], resources: [], alg: 'RS256', jwks: null, createdAt: 0,
} as unknown as ClientRecord);

function countingStore(records: Map<string, ClientRecord>) {
  const store = { reads: 0, find: async (id: string) => { store.reads += 1; return records.get(id); } };
  return store;
}

describe('cachedClientLookup', () => {
  it('reads a client once per TTL and again after it', async () => {
    let now = 1_000;
    const store = countingStore(new Map([['a', client('a')]]));
    const lookup = cachedClientLookup(store, { ttlMs: 1000, nowMs: () => now });
    expect((await lookup.find('a'))?.clientId).toBe('a');
    await lookup.find('a');
    expect(store.reads).toBe(1);
    now += 1000;
    await lookup.find('a');
    expect(store.reads).toBe(2);
  });

  it('sees a deleted client once its entry expires, and never caches misses', async () => {
    let now = 0;
    const records = new Map([['a', client('a')]]);
    const store = countingStore(records);
    const lookup = cachedClientLookup(store, { ttlMs: 500, nowMs: () => now });
    await lookup.find('a');
    records.delete('a');
    now += 500;
    expect(await lookup.find('a')).toBeUndefined();
    expect(await lookup.find('nobody')).toBeUndefined();
    expect(await lookup.find('nobody')).toBeUndefined();
    expect(store.reads).toBe(4);
  });

  it('forgets an entry on demand and stays within its size bound', async () => {
    const records = new Map(['a', 'b', 'c'].map((id) => [id, client(id)] as const));
    const store = countingStore(records);
    const lookup = cachedClientLookup(store, { maxEntries: 2, nowMs: () => 0 });
    await lookup.find('a');
    lookup.forget('a');
    await lookup.find('a');
    expect(store.reads).toBe(2);
    await lookup.find('b');
    await lookup.find('c'); // evicts the oldest ('a')
    await lookup.find('a');
    expect(store.reads).toBe(5);
  });
});
