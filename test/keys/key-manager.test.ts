/**
 * KeyManager's waits, on a real SQLite key store with a fake clock and an injected wait (no test
 * really waits): `rotate` and `revoke` of an active key promote the `next` key only once it has
 * been published for the pre-publication time, waiting for it with `wait` (never longer than that
 * time per wait) and refusing with KeyNotReadyError without; `unpublished` neither waits nor
 * touches the `next` key; a key set without a `next` key gets one first; a `next` key promoted by
 * another process during the wait is waited for again, up to a bound.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keySealer } from '../../src/keys/encryption.js';
import { KeyManager } from '../../src/keys/key-manager.js';
import { invariantViolations, KeyNotReadyError, type LifecyclePolicy } from '../../src/keys/lifecycle.js';
import { createKnexStores } from '../../src/storage/knex/index.js';
import type { SigningAlg, SigningKeyRecord } from '../../src/storage/keys.js';
import type { Stores } from '../../src/storage/stores.js';

const POLICY: LifecyclePolicy = { rotationIntervalSeconds: 86_400, prePublishSeconds: 303, retainSeconds: 1000 };
const T0 = 1_700_000_000;

let dir: string;
let stores: Stores;
const clock = { now: T0, nowSeconds() { return this.now; } };
const sealer = keySealer(crypto.randomBytes(32));
let waits: number[];

/** A key manager whose waits move the fake clock; `duringWait` plays another process acting meanwhile. */
function manager(duringWait: (seconds: number) => Promise<void> = async () => {}): KeyManager {
  return new KeyManager({
    keyStore: stores.keys,
    sealer,
    clock,
    policy: POLICY,
    waitUntil: async (seconds) => {
      waits.push(seconds);
      clock.now = Math.max(clock.now, seconds);
      await duringWait(seconds);
    },
  });
}

const keys = async () => (await stores.keys.snapshot()).keys;
const one = async (alg: SigningAlg, status: SigningKeyRecord['status']) => {
  const found = (await keys()).filter((key) => key.alg === alg && key.status === status);
  expect(found, `${status} ${alg} keys`).toHaveLength(1);
  return found[0]!;
};

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-key-manager-'));
  stores = await createKnexStores({ engine: 'sqlite', filename: path.join(dir, 'keys.sqlite') }, { migrate: true });
  clock.now = T0;
  waits = [];
  await manager().runSchedule();
});
afterEach(async () => {
  await stores.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('rotate', () => {
  it('waits until the next key has been published for the pre-publication time, then promotes it and publishes a fresh next key', async () => {
    const old = await one('RS256', 'active');
    const next = await one('RS256', 'next');
    clock.now = T0 + 3;
    const told: KeyNotReadyError[] = [];
    const active = await manager().rotate(['RS256'], { wait: true, onWait: (reason) => told.push(reason) });
    expect(waits).toEqual([T0 + 303]);
    expect(told.map((reason) => [reason.alg, reason.kid, reason.readyAt])).toEqual([['RS256', next.kid, T0 + 303]]);
    expect(active.map((key) => [key.kid, key.activatedAt])).toEqual([[next.kid, T0 + 303]]);
    expect((await keys()).find((key) => key.kid === old.kid)!.status).toBe('retiring');
    expect((await one('RS256', 'next')).createdAt).toBe(T0 + 303);
    expect(invariantViolations(await keys())).toEqual([]);
  });

  it('does not wait for a next key that is old enough already', async () => {
    const next = await one('EdDSA', 'next');
    clock.now = T0 + 303;
    expect((await manager().rotate(['EdDSA'], { wait: true })).map((key) => key.kid)).toEqual([next.kid]);
    expect(waits).toEqual([]);
  });

  it('without wait: throws KeyNotReadyError saying when, and changes nothing', async () => {
    clock.now = T0 + 100;
    const version = await stores.keys.version();
    const error = await manager().rotate(['RS256', 'EdDSA']).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyNotReadyError);
    expect(error).toMatchObject({ readyAt: T0 + 303 });
    expect((error as Error).message).toMatch(/has been published for 100 s of the 303 s \(the pre-publication time\) it needs before it signs: ready in 203 s$/);
    expect(await stores.keys.version()).toBe(version);
    expect(waits).toEqual([]);
  });

  it('unpublished: a fresh key signs at once, without waiting, and the next key stays next', async () => {
    const next = await one('RS256', 'next');
    clock.now = T0 + 1;
    const [active] = await manager().rotate(['RS256'], { wait: true, activation: 'unpublished' });
    expect(waits).toEqual([]);
    expect(active).toMatchObject({ alg: 'RS256', createdAt: T0 + 1, activatedAt: T0 + 1 });
    expect(active!.kid).not.toBe(next.kid);
    expect((await one('RS256', 'next')).kid).toBe(next.kid);
  });

  it('on a key set without next keys: publishes them first, then waits the whole pre-publication time', async () => {
    const nextKids = (await keys()).filter((key) => key.status === 'next').map((key) => key.kid);
    expect(await stores.keys.apply(await stores.keys.version(), { upsert: [], remove: nextKids })).toBe(true);
    clock.now = T0 + 50;
    const [active] = await manager().rotate(['EdDSA'], { wait: true });
    expect(waits).toEqual([T0 + 50 + 303]);
    expect(active).toMatchObject({ alg: 'EdDSA', createdAt: T0 + 50, activatedAt: T0 + 353 });
    expect((await one('RS256', 'next')).createdAt).toBe(T0 + 50);
    expect(invariantViolations(await keys())).toEqual([]);
  });

  it('waits again when another process promoted the next key meanwhile, and makes its own rotation', async () => {
    let competed = false;
    const competitor = manager();
    const rotated = await manager(async () => {
      if (competed) return;
      competed = true;
      await competitor.rotate(['RS256']);
    }).rotate(['RS256'], { wait: true });
    expect(waits).toEqual([T0 + 303, T0 + 606]);
    const retiring = (await keys()).filter((key) => key.alg === 'RS256' && key.status === 'retiring');
    expect(retiring).toHaveLength(2);
    expect(rotated[0]).toMatchObject({ createdAt: T0 + 303, activatedAt: T0 + 606 });
  });

  it('gives up with KeyNotReadyError after five waits lost in a row', async () => {
    const competitor = manager();
    const error = await manager(async () => void (await competitor.rotate(['RS256']))).rotate(['RS256'], { wait: true }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(KeyNotReadyError);
    expect(waits).toHaveLength(5);
  });

  it('never waits longer than the pre-publication time, even for a next key stamped by a clock ahead of its own', async () => {
    const next = await one('RS256', 'next');
    expect(await stores.keys.apply(await stores.keys.version(), { upsert: [{ ...next, createdAt: T0 + 1000 }], remove: [] })).toBe(true);
    const onceWaited = manager(async () => {
      // Back to a sane stamp after the first wait, so that the second plan succeeds.
      const stamped = await one('RS256', 'next');
      await stores.keys.apply(await stores.keys.version(), { upsert: [{ ...stamped, createdAt: T0 }], remove: [] });
    });
    await onceWaited.rotate(['RS256'], { wait: true });
    expect(waits).toEqual([T0 + 303]);
  });
});

describe('revoke', () => {
  it('of the active key: waits for the next key, promotes it, and returns it', async () => {
    const active = await one('EdDSA', 'active');
    const next = await one('EdDSA', 'next');
    clock.now = T0 + 10;
    const replaced = await manager().revoke(active.kid, { wait: true });
    expect(waits).toEqual([T0 + 303]);
    expect(replaced.map((key) => key.kid)).toEqual([next.kid]);
    expect((await keys()).find((key) => key.kid === active.kid)).toMatchObject({ status: 'revoked', sealedPrivateKey: '' });
    expect(invariantViolations(await keys())).toEqual([]);
  });

  it('of the active key without wait: KeyNotReadyError, nothing revoked', async () => {
    const active = await one('EdDSA', 'active');
    clock.now = T0 + 10;
    await expect(manager().revoke(active.kid)).rejects.toBeInstanceOf(KeyNotReadyError);
    expect((await one('EdDSA', 'active')).kid).toBe(active.kid);
  });

  it('of the active key, unpublished: a fresh key at once, the next key untouched', async () => {
    const active = await one('RS256', 'active');
    const next = await one('RS256', 'next');
    clock.now = T0 + 10;
    const [replacement] = await manager().revoke(active.kid, { activation: 'unpublished' });
    expect(waits).toEqual([]);
    expect(replacement).toMatchObject({ alg: 'RS256', createdAt: T0 + 10, activatedAt: T0 + 10 });
    expect([active.kid, next.kid]).not.toContain(replacement!.kid);
    expect((await one('RS256', 'next')).kid).toBe(next.kid);
  });

  it('of the next key: never waits, returns no active key, and a fresh next key is published', async () => {
    const next = await one('RS256', 'next');
    clock.now = T0 + 10;
    expect(await manager().revoke(next.kid, { wait: true })).toEqual([]);
    expect(waits).toEqual([]);
    const replacement = await one('RS256', 'next');
    expect(replacement.kid).not.toBe(next.kid);
    expect(replacement.createdAt).toBe(T0 + 10);
  });
});
