/**
 * Storage contract section for the second-factor stores (src/storage/second-factors.ts): TOTP
 * factors found by id and listed per person oldest first, verified once, each time step accepted
 * once and only when later than the last (concurrently too), removed one or all; recovery codes
 * replaced all at once, each used once (concurrently too), counted and removed. Deleting the
 * person removes both.
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { TotpFactorRecord } from '../../src/storage/second-factors.js';
import type { CurrentStores } from './contract.js';

const T = 1_700_000_000;

async function withUser(stores: CurrentStores): Promise<string> {
  const id = crypto.randomUUID();
  await stores().users.insert({ id, email: `${id}@example.com`, name: null, passwordHash: 'x', disabledAt: null, createdAt: T });
  return id;
}

function factor(userId: string, overrides: Partial<TotpFactorRecord> = {}): TotpFactorRecord {
  return { id: crypto.randomUUID(), userId, sealedSecret: `v1.${crypto.randomBytes(8).toString('base64url')}`, createdAt: T, verifiedAt: null, lastUsedStep: null, ...overrides };
}

const hash = () => crypto.randomBytes(32).toString('hex');

export function secondFactorStoresContract(stores: CurrentStores): void {
  it('finds a TOTP factor with every field as written, lists a person’s oldest first, and answers a miss with undefined', async () => {
    const userId = await withUser(stores);
    const older = factor(userId, { createdAt: T - 10, verifiedAt: T - 5, lastUsedStep: 56_666_666 });
    const newer = factor(userId);
    await stores().totpFactors.insert(newer);
    await stores().totpFactors.insert(older);
    await stores().totpFactors.insert(factor(await withUser(stores)));
    expect(await stores().totpFactors.find(older.id)).toEqual(older);
    expect(await stores().totpFactors.listForUser(userId)).toEqual([older, newer]);
    expect(await stores().totpFactors.find('no-such-factor')).toBeUndefined();
    expect(await stores().totpFactors.listForUser('nobody')).toEqual([]);
  });

  it('verifies an enrolment once, recording its time step', async () => {
    const record = factor(await withUser(stores));
    await stores().totpFactors.insert(record);
    expect(await stores().totpFactors.markVerified(record.id, T + 5, 100)).toBe(true);
    expect(await stores().totpFactors.markVerified(record.id, T + 6, 101)).toBe(false);
    expect(await stores().totpFactors.find(record.id)).toEqual({ ...record, verifiedAt: T + 5, lastUsedStep: 100 });
    expect(await stores().totpFactors.markVerified('no-such-factor', T, 1)).toBe(false);
  });

  it('accepts a time step only when later than the last one, and never for an unverified factor', async () => {
    const userId = await withUser(stores);
    const record = factor(userId, { verifiedAt: T, lastUsedStep: 100 });
    await stores().totpFactors.insert(record);
    expect(await stores().totpFactors.useStep(record.id, 100)).toBe(false);
    expect(await stores().totpFactors.useStep(record.id, 99)).toBe(false);
    expect(await stores().totpFactors.useStep(record.id, 101)).toBe(true);
    expect(await stores().totpFactors.useStep(record.id, 101)).toBe(false);
    expect((await stores().totpFactors.find(record.id))?.lastUsedStep).toBe(101);
    const unverified = factor(userId);
    await stores().totpFactors.insert(unverified);
    expect(await stores().totpFactors.useStep(unverified.id, 5)).toBe(false);
    const fresh = factor(userId, { verifiedAt: T });
    await stores().totpFactors.insert(fresh);
    expect(await stores().totpFactors.useStep(fresh.id, 5)).toBe(true);
  });

  it('lets exactly one of concurrent uses of one time step win', async () => {
    const record = factor(await withUser(stores), { verifiedAt: T });
    await stores().totpFactors.insert(record);
    const peer = await stores.peer();
    const wins = await Promise.all([stores().totpFactors.useStep(record.id, 7), peer.totpFactors.useStep(record.id, 7), stores().totpFactors.useStep(record.id, 7)]);
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('removes one factor of its person only, and all of a person’s', async () => {
    const userId = await withUser(stores);
    const otherId = await withUser(stores);
    const [a, b] = [factor(userId), factor(userId, { verifiedAt: T })];
    const others = factor(otherId);
    for (const record of [a, b, others]) await stores().totpFactors.insert(record);
    expect(await stores().totpFactors.delete(otherId, a.id)).toBe(false);
    expect(await stores().totpFactors.delete(userId, a.id)).toBe(true);
    expect(await stores().totpFactors.delete(userId, a.id)).toBe(false);
    expect(await stores().totpFactors.deleteAllForUser(userId)).toBe(1);
    expect(await stores().totpFactors.listForUser(userId)).toEqual([]);
    expect(await stores().totpFactors.find(others.id)).toEqual(others);
  });

  it('replaces every recovery code of a person at once, uses each once, and counts the unused ones', async () => {
    const userId = await withUser(stores);
    const otherId = await withUser(stores);
    const first = [hash(), hash(), hash()];
    await stores().recoveryCodes.replaceAll(userId, first, T);
    await stores().recoveryCodes.replaceAll(otherId, [hash()], T);
    expect(await stores().recoveryCodes.countUnused(userId)).toBe(3);
    expect(await stores().recoveryCodes.use(otherId, first[0]!, T + 1)).toBe(false);
    expect(await stores().recoveryCodes.use(userId, first[0]!, T + 1)).toBe(true);
    expect(await stores().recoveryCodes.use(userId, first[0]!, T + 2)).toBe(false);
    expect(await stores().recoveryCodes.countUnused(userId)).toBe(2);
    const second = [hash(), hash()];
    await stores().recoveryCodes.replaceAll(userId, second, T + 3);
    expect(await stores().recoveryCodes.use(userId, first[1]!, T + 4)).toBe(false);
    expect(await stores().recoveryCodes.countUnused(userId)).toBe(2);
    expect(await stores().recoveryCodes.deleteAllForUser(userId)).toBe(2);
    expect(await stores().recoveryCodes.countUnused(userId)).toBe(0);
    expect(await stores().recoveryCodes.countUnused(otherId)).toBe(1);
  });

  it('lets exactly one of concurrent uses of one recovery code win', async () => {
    const userId = await withUser(stores);
    const code = hash();
    await stores().recoveryCodes.replaceAll(userId, [code], T);
    const peer = await stores.peer();
    const wins = await Promise.all([stores().recoveryCodes.use(userId, code, T), peer.recoveryCodes.use(userId, code, T), stores().recoveryCodes.use(userId, code, T)]);
    expect(wins.filter(Boolean)).toHaveLength(1);
  });
}
