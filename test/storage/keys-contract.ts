/**
 * Storage contract section for the key store (src/storage/keys.ts): the version and snapshot,
 * the compare-and-set of `apply` (one winner, nothing written by a loser, snapshots that never mix
 * versions), and the key-change lock (exclusive between processes where the engine has one).
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { KeyChanges, SigningKeyRecord } from '../../src/storage/keys.js';
import type { Stores } from '../../src/storage/stores.js';
import type { CurrentStores, EngineTraits } from './contract.js';
import { eventually } from '../helpers/eventually.js';

/** A key record with made-up (but well-formed) material: the store never looks inside. */
export function keyRecord(kid: string, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    kid,
    alg: 'EdDSA',
    status: 'active',
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: crypto.randomBytes(32).toString('base64url'), kid, alg: 'EdDSA', use: 'sig' },
    sealedPrivateKey: `v1.${crypto.randomBytes(12).toString('base64url')}.${crypto.randomBytes(48).toString('base64url')}.tag`,
    createdAt: 1_700_000_000,
    activatedAt: 1_700_000_000,
    retiredAt: null,
    removeAfter: null,
    revokedAt: null,
    ...overrides,
  };
}

const change = (upsert: SigningKeyRecord[], remove: string[] = []): KeyChanges => ({ upsert, remove });
const kidsOf = (keys: readonly SigningKeyRecord[]) => keys.map((key) => key.kid).sort();

/**
 * Runs work under the change lock that notes 'first' in `events`, then holds the lock until
 * `release` and notes 'first done'; resolves once the work has started.
 */
async function holdChangeLock(stores: Stores, events: string[]): Promise<{ release: () => void; result: Promise<string | undefined> }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const started = events.length;
  const result = stores.keys.withChangeLock(true, async () => {
    events.push('first');
    await held;
    events.push('first done');
    return 'first';
  });
  await eventually(() => events.length > started, 1000);
  return { release, result };
}

export function keyStoreContract(stores: CurrentStores, traits: EngineTraits): void {
  it('starts empty at version 0', async () => {
    expect(await stores().keys.version()).toBe(0);
    expect(await stores().keys.snapshot()).toEqual({ version: 0, keys: [] });
  });

  it('applies changes at the expected version and bumps it', async () => {
    const keys = stores().keys;
    const a = keyRecord('kid-a', { alg: 'RS256', publicJwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'kid-a', alg: 'RS256', use: 'sig' } });
    const b = keyRecord('kid-b', { status: 'next', activatedAt: null, createdAt: 1_700_000_050 });
    const es = keyRecord('kid-es', {
      alg: 'ES256',
      publicJwk: { kty: 'EC', crv: 'P-256', x: crypto.randomBytes(32).toString('base64url'), y: crypto.randomBytes(32).toString('base64url'), kid: 'kid-es', alg: 'ES256', use: 'sig' },
    });
    expect(await keys.apply(0, change([a, b, es]))).toBe(true);
    expect(await keys.version()).toBe(1);
    const first = await keys.snapshot();
    expect(first.version).toBe(1);
    // Every field survives the round trip, nulls and numbers included, for every alg.
    expect(first.keys.find((key) => key.kid === 'kid-a')).toEqual(a);
    expect(first.keys.find((key) => key.kid === 'kid-b')).toEqual(b);
    expect(first.keys.find((key) => key.kid === 'kid-es')).toEqual(es);

    // Upsert updates an existing row in place and removes what is named.
    const retired: SigningKeyRecord = { ...a, status: 'retiring', retiredAt: 1_700_000_100, removeAfter: 1_700_001_000 };
    const c = keyRecord('kid-c', { createdAt: 1_700_000_100 });
    expect(await keys.apply(1, change([retired, c], ['kid-b']))).toBe(true);
    const second = await keys.snapshot();
    expect(second.version).toBe(2);
    expect(kidsOf(second.keys)).toEqual(['kid-a', 'kid-c', 'kid-es']);
    expect(second.keys.find((key) => key.kid === 'kid-a')).toEqual(retired);
    expect(second.keys.find((key) => key.kid === 'kid-c')).toEqual(c);
  });

  it('bumps the version even for a change that only removes', async () => {
    const keys = stores().keys;
    expect(await keys.apply(0, change([keyRecord('kid-a')]))).toBe(true);
    expect(await keys.apply(1, change([], ['kid-a']))).toBe(true);
    expect(await keys.snapshot()).toEqual({ version: 2, keys: [] });
  });

  it('refuses a stale expected version and writes nothing', async () => {
    const keys = stores().keys;
    const a = keyRecord('kid-a');
    expect(await keys.apply(0, change([a]))).toBe(true);
    const before = await keys.snapshot();

    expect(await keys.apply(0, change([keyRecord('kid-stale'), { ...a, status: 'revoked', revokedAt: 1 }], ['kid-a']))).toBe(false);
    expect(await keys.apply(7, change([keyRecord('kid-future')]))).toBe(false);
    expect(await keys.snapshot()).toEqual(before);
    expect(await keys.version()).toBe(1);
  });

  it('lets exactly one of two concurrent applies at the same version win', async () => {
    const keys = stores().keys;
    const results = await Promise.all([keys.apply(0, change([keyRecord('kid-left')])), keys.apply(0, change([keyRecord('kid-right')]))]);
    expect(results.filter((won) => won)).toHaveLength(1);
    const winner = results[0] ? 'kid-left' : 'kid-right';
    expect(await keys.snapshot()).toMatchObject({ version: 1, keys: [expect.objectContaining({ kid: winner })] });
    expect((await keys.snapshot()).keys).toHaveLength(1);
  });

  it('gives snapshots whose keys always belong to their version', async () => {
    const keys = stores().keys;
    // Version v holds exactly the keys kid-1 … kid-v; snapshots taken while applies commit must
    // never mix one version's number with another version's keys.
    const expectedKids = (version: number) => Array.from({ length: version }, (_, i) => `kid-${i + 1}`).sort();
    // Each round commits one apply while snapshots are in flight on other connections.
    for (let version = 0; version < 8; version += 1) {
      const next = keyRecord(`kid-${version + 1}`, { createdAt: 1_700_000_000 + version });
      const [won, ...taken] = await Promise.all([
        keys.apply(version, change([next])),
        ...Array.from({ length: 6 }, () => keys.snapshot()),
      ]);
      expect(won).toBe(true);
      for (const snapshot of taken) expect(kidsOf(snapshot.keys)).toEqual(expectedKids(snapshot.version));
    }
    const last = await keys.snapshot();
    expect(last.version).toBe(8);
    expect(kidsOf(last.keys)).toEqual(expectedKids(8));
  });

  it('runs key work under the change lock, and a second taker either waits or skips', async () => {
    const first = await holdChangeLock(stores(), []);
    // Another process (here: another pool on the same database) finds the lock taken, or none to take.
    const other = await stores.peer();
    expect(await other.keys.withChangeLock(false, async () => 'second')).toBe(traits.exclusiveChangeLock ? undefined : 'second');
    first.release();
    expect(await first.result).toBe('first');
    expect(await stores().keys.withChangeLock(false, async () => 'free')).toBe('free');
  });

  it('makes a second process that asks to wait run its work only after the holder is done', async () => {
    const events: string[] = [];
    const first = await holdChangeLock(stores(), events);
    const other = await stores.peer();
    const second = other.keys.withChangeLock(true, async () => {
      events.push('second');
      return 'second';
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(events).toEqual(traits.exclusiveChangeLock ? ['first'] : ['first', 'second']);
    first.release();
    expect(await Promise.all([first.result, second])).toEqual(['first', 'second']);
    expect(events).toEqual(traits.exclusiveChangeLock ? ['first', 'first done', 'second'] : ['first', 'second', 'first done']);
  });

  it('passes on what the work throws, and releases the lock', async () => {
    await expect(
      stores().keys.withChangeLock(true, async () => {
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    const other = await stores.peer();
    expect(await other.keys.withChangeLock(false, async () => 'after')).toBe('after');
  });
}
