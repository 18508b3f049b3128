/**
 * Storage contract sections for the refresh-token store (src/refresh/refresh-store.ts) and the
 * revocation store (src/revocation/revocations.ts), run by contract.ts on every engine.
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { RefreshFamilyRecord, RefreshTokenRecord } from '../../src/storage/refresh.js';
import type { RevocationTarget } from '../../src/storage/revocations.js';
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
