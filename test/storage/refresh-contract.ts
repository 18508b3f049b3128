/**
 * Storage contract section for the refresh-token store (src/storage/refresh.ts): families and
 * tokens round-trip; a rotation has exactly one winner and writes nothing for the others or for
 * an ended family or expired token; families end one by one or by selector; the purge keeps what
 * can still matter (a consumed token of a live family recognises a replay).
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { RefreshFamilyRecord, RefreshTokenRecord } from '../../src/storage/refresh.js';
import type { CurrentStores } from './contract.js';

const NOW = 1_700_000_000;
const hash = () => crypto.randomBytes(32).toString('hex');

export function familyRecord(overrides: Partial<RefreshFamilyRecord> = {}): RefreshFamilyRecord {
  return {
    id: crypto.randomUUID(),
    clientId: 'client-1',
    userId: 'user-1',
    sessionId: 'session-1',
    scopes: ['openid', 'offline_access'],
    authTime: NOW - 10,
    authMethods: ['pwd'],
    acr: null,
    createdAt: NOW,
    expiresAt: NOW + 3600,
    revokedAt: null,
    ...overrides,
  };
}

export function tokenRecord(family: RefreshFamilyRecord, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return { tokenHash: hash(), familyId: family.id, createdAt: NOW, expiresAt: NOW + 600, consumedAt: null, successorHash: null, ...overrides };
}

async function family(stores: CurrentStores, overrides: Partial<RefreshFamilyRecord> = {}, tokenOverrides: Partial<RefreshTokenRecord> = {}) {
  const record = familyRecord(overrides);
  const first = tokenRecord(record, tokenOverrides);
  await stores().refreshTokens.startFamily(record, first);
  return { family: record, first };
}

export function refreshTokenStoreContract(stores: CurrentStores): void {
  it('finds a token and its family with every field as written, and answers a miss with undefined', async () => {
    const { family: record, first } = await family(stores, { scopes: ['openid', 'api:read'], userId: 'ü-1' });
    expect(await stores().refreshTokens.find(first.tokenHash)).toEqual({ token: first, family: record });
    expect(await stores().refreshTokens.find(hash())).toBeUndefined();
  });

  it("keeps the methods and acr of a family's login", async () => {
    const { family: record, first } = await family(stores, { authMethods: ['hwk', 'user'], acr: 'phr' });
    expect((await stores().refreshTokens.find(first.tokenHash))?.family).toEqual(record);
  });

  it("keeps a family's DPoP binding, and no binding for an unbound family", async () => {
    const bound = await family(stores, { dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
    expect((await stores().refreshTokens.find(bound.first.tokenHash))?.family).toEqual(bound.family);
    const unbound = await family(stores);
    expect((await stores().refreshTokens.find(unbound.first.tokenHash))?.family).not.toHaveProperty('dpopJkt');
  });

  it('rotates once: the winner stores the successor, a second rotation sees the token consumed', async () => {
    const { family: record, first } = await family(stores);
    const successor = tokenRecord(record, { createdAt: NOW + 5 });
    expect(await stores().refreshTokens.rotate(first.tokenHash, record.id, successor, NOW + 5)).toEqual({ kind: 'rotated' });
    expect((await stores().refreshTokens.find(successor.tokenHash))?.token).toEqual(successor);
    expect((await stores().refreshTokens.find(first.tokenHash))?.token).toMatchObject({ consumedAt: NOW + 5, successorHash: successor.tokenHash });

    const again = await stores().refreshTokens.rotate(first.tokenHash, record.id, tokenRecord(record), NOW + 6);
    expect(again).toEqual({ kind: 'consumed', consumedAt: NOW + 5, successorHash: successor.tokenHash });
  });

  it('lets exactly one of many concurrent rotations of one token win', async () => {
    const { family: record, first } = await family(stores);
    const successors = Array.from({ length: 10 }, () => tokenRecord(record, { createdAt: NOW + 1 }));
    const outcomes = await Promise.all(successors.map((successor) => stores().refreshTokens.rotate(first.tokenHash, record.id, successor, NOW + 1)));
    expect(outcomes.filter((outcome) => outcome.kind === 'rotated')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.kind === 'consumed')).toHaveLength(9);
    const stored = await Promise.all(successors.map((successor) => stores().refreshTokens.find(successor.tokenHash)));
    expect(stored.filter((found) => found !== undefined)).toHaveLength(1);
  });

  it('refuses to rotate an expired token, or a token of a revoked or expired family, and writes nothing', async () => {
    const expired = await family(stores, {}, { expiresAt: NOW + 1 });
    const successor = tokenRecord(expired.family);
    expect(await stores().refreshTokens.rotate(expired.first.tokenHash, expired.family.id, successor, NOW + 1)).toEqual({ kind: 'expired' });

    const revoked = await family(stores);
    expect(await stores().refreshTokens.revokeFamily(revoked.family.id, NOW)).toBe(true);
    expect(await stores().refreshTokens.revokeFamily(revoked.family.id, NOW)).toBe(false);
    expect(await stores().refreshTokens.rotate(revoked.first.tokenHash, revoked.family.id, successor, NOW + 1)).toEqual({ kind: 'family_ended' });

    const old = await family(stores, { expiresAt: NOW + 2 });
    expect(await stores().refreshTokens.rotate(old.first.tokenHash, old.family.id, successor, NOW + 2)).toEqual({ kind: 'family_ended' });

    expect(await stores().refreshTokens.find(successor.tokenHash)).toBeUndefined();
    expect((await stores().refreshTokens.find(expired.first.tokenHash))?.token.consumedAt).toBeNull();
    expect((await stores().refreshTokens.find(revoked.first.tokenHash))?.family.revokedAt).toBe(NOW);
  });

  it('revokes live families by session, user, client or a combination, and counts them', async () => {
    await family(stores, { sessionId: 's-a', userId: 'u-1', clientId: 'c-1' });
    await family(stores, { sessionId: 's-a', userId: 'u-1', clientId: 'c-2' });
    await family(stores, { sessionId: 's-b', userId: 'u-1', clientId: 'c-1' });
    await family(stores, { sessionId: 's-c', userId: 'u-2', clientId: 'c-1' });
    const families = stores().refreshTokens;
    expect(await families.revokeFamilies({ sessionId: 's-a', clientId: 'c-2' }, NOW)).toBe(1);
    expect(await families.revokeFamilies({ sessionId: 's-a' }, NOW)).toBe(1);
    expect(await families.revokeFamilies({ userId: 'u-1' }, NOW)).toBe(1);
    expect(await families.revokeFamilies({ userId: 'u-1' }, NOW)).toBe(0);
    expect(await families.revokeFamilies({ clientId: 'c-1' }, NOW)).toBe(1);
    await expect(families.revokeFamilies({}, NOW)).rejects.toThrow();
  });

  it('purges expired tokens and dead families within the limit, and keeps what is still needed', async () => {
    const live = await family(stores);
    // A consumed token of a live family is what recognises a replay: it stays until its idle expiry.
    const consumed = await family(stores, {}, { consumedAt: NOW, successorHash: hash() });
    const expired = await Promise.all(Array.from({ length: 3 }, () => family(stores, {}, { expiresAt: NOW + 10 })));
    const revoked = await family(stores);
    await stores().refreshTokens.revokeFamily(revoked.family.id, NOW);

    const now = NOW + 10;
    expect(await stores().refreshTokens.purge(now, 2)).toBe(2);
    let total = 2;
    for (let round = 0; round < 10; round += 1) total += await stores().refreshTokens.purge(now, 2);
    // 3 expired tokens, the revoked family's token and the revoked family itself.
    expect(total).toBe(5);
    for (const { first } of expired) expect(await stores().refreshTokens.find(first.tokenHash)).toBeUndefined();
    expect(await stores().refreshTokens.find(revoked.first.tokenHash)).toBeUndefined();
    expect(await stores().refreshTokens.find(live.first.tokenHash)).toBeDefined();
    expect(await stores().refreshTokens.find(consumed.first.tokenHash)).toBeDefined();
    // Expired families go too once their absolute expiry passed and no token is left.
    expect(await stores().refreshTokens.purge(NOW + 3600, 100)).toBeGreaterThanOrEqual(expired.length);
  });
}
