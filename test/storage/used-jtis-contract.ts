/**
 * Storage contract section for the used-jti store (src/storage/used-jtis.ts): a key is accepted
 * once, concurrent uses of one key have exactly one winner, and the purge removes only expired
 * keys, at most `limit` at a time. Client assertions and DPoP proofs rely on it for single use
 * across instances.
 */
import { expect, it } from 'vitest';
import { usedJtiKey } from '../../src/storage/used-jtis.js';
import type { CurrentStores } from './contract.js';

export function usedJtiStoreContract(stores: CurrentStores): void {
  it('accepts a key once, and one winner among concurrent uses', async () => {
    const key = usedJtiKey('client_assertion', 'client-a', 'jti-1');
    expect(await stores().usedJtis.use(key, 1000)).toBe(true);
    expect(await stores().usedJtis.use(key, 1000)).toBe(false);
    // The same jti from another client or as a proof is another key.
    expect(await stores().usedJtis.use(usedJtiKey('client_assertion', 'client-b', 'jti-1'), 1000)).toBe(true);
    expect(await stores().usedJtis.use(usedJtiKey('dpop_proof', 'client-a', 'jti-1'), 1000)).toBe(true);

    const contested = usedJtiKey('dpop_proof', 'jkt', 'jti-2');
    const results = await Promise.all(Array.from({ length: 8 }, () => stores().usedJtis.use(contested, 1000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('purges only expired keys, in batches', async () => {
    for (let i = 0; i < 5; i += 1) await stores().usedJtis.use(usedJtiKey('dpop_proof', 'k', `old-${i}`), 100);
    await stores().usedJtis.use(usedJtiKey('dpop_proof', 'k', 'live'), 500);
    expect(await stores().usedJtis.purge(200, 3)).toBe(3);
    expect(await stores().usedJtis.purge(200, 3)).toBe(2);
    expect(await stores().usedJtis.purge(200, 3)).toBe(0);
    expect(await stores().usedJtis.use(usedJtiKey('dpop_proof', 'k', 'live'), 500)).toBe(false);
    expect(await stores().usedJtis.use(usedJtiKey('dpop_proof', 'k', 'old-0'), 500)).toBe(true);
  });
}
