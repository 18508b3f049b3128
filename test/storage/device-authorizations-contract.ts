/**
 * Storage contract section for RFC 8628 device authorizations (src/storage/device-authorizations.ts):
 * a request is found by its id, its device-code hash and its user-code hash (unique); a poll is
 * a compare-and-set on the previous poll's time; the person's decision and the token request's
 * use each have exactly one winner among concurrent callers; the purge takes only requests that
 * expired before its cut-off, at most `limit` at a time.
 */
import { expect, it } from 'vitest';
import type { DeviceAuthorizationRecord } from '../../src/storage/device-authorizations.js';
import type { CurrentStores } from './contract.js';

function request(id: string, overrides: Partial<DeviceAuthorizationRecord> = {}): DeviceAuthorizationRecord {
  return {
    id,
    deviceCodeHash: `device-${id}`.padEnd(64, '0'),
    userCodeHash: `user-${id}`.padEnd(64, '0'),
    clientId: 'tv-client',
    scopes: ['openid', 'offline_access'],
    resources: ['https://api.example.com'],
    createdAt: 1000,
    expiresAt: 1600,
    intervalSeconds: 5,
    lastPolledAt: null,
    status: 'pending',
    approval: null,
    decidedAt: null,
    consumedAt: null,
    grantId: null,
    ...overrides,
  };
}

const APPROVAL = { userId: 'user-1', sessionId: 'session-1', authTime: 1010, authMethods: ['pwd', 'otp', 'mfa'], acr: 'urn:inkan:acr:mfa' };

export function deviceAuthorizationStoreContract(stores: CurrentStores): void {
  it('finds a request by id, device code and user code, as it was inserted', async () => {
    const record = request('a');
    await stores().deviceAuthorizations.insert(record);
    expect(await stores().deviceAuthorizations.find('a')).toEqual(record);
    expect(await stores().deviceAuthorizations.findByDeviceCode(record.deviceCodeHash)).toEqual(record);
    expect(await stores().deviceAuthorizations.findByUserCode(record.userCodeHash)).toEqual(record);
    expect(await stores().deviceAuthorizations.find('missing')).toBeUndefined();
    expect(await stores().deviceAuthorizations.findByDeviceCode('f'.repeat(64))).toBeUndefined();
    expect(await stores().deviceAuthorizations.findByUserCode('f'.repeat(64))).toBeUndefined();
    // A user code is unique.
    await expect(stores().deviceAuthorizations.insert(request('b', { userCodeHash: record.userCodeHash }))).rejects.toThrow();
  });

  it('records a poll only over the poll it read (compare-and-set), with the interval in force', async () => {
    await stores().deviceAuthorizations.insert(request('a'));
    expect(await stores().deviceAuthorizations.recordPoll('a', null, 1100, 5)).toBe(true);
    expect(await stores().deviceAuthorizations.recordPoll('a', null, 1101, 10)).toBe(false);
    expect(await stores().deviceAuthorizations.recordPoll('a', 1100, 1102, 10)).toBe(true);
    expect(await stores().deviceAuthorizations.find('a')).toMatchObject({ lastPolledAt: 1102, intervalSeconds: 10 });
    const racing = await Promise.all(Array.from({ length: 6 }, (_, i) => stores().deviceAuthorizations.recordPoll('a', 1102, 1110 + i, 15)));
    expect(racing.filter(Boolean)).toHaveLength(1);
  });

  it('records one decision while the request lives: an approval with its login, or a denial', async () => {
    await stores().deviceAuthorizations.insert(request('a'));
    await stores().deviceAuthorizations.insert(request('b'));
    const racing = await Promise.all([
      stores().deviceAuthorizations.decide('a', { status: 'approved', approval: APPROVAL }, 1200),
      stores().deviceAuthorizations.decide('a', { status: 'denied' }, 1200),
      stores().deviceAuthorizations.decide('a', { status: 'approved', approval: { ...APPROVAL, userId: 'user-2' } }, 1200),
    ]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    const decided = await stores().deviceAuthorizations.find('a');
    expect(decided?.decidedAt).toBe(1200);
    if (decided?.status === 'approved') expect(['user-1', 'user-2']).toContain(decided.approval?.userId);
    else expect(decided).toMatchObject({ status: 'denied', approval: null });

    expect(await stores().deviceAuthorizations.decide('b', { status: 'approved', approval: APPROVAL }, 1300)).toBe(true);
    expect(await stores().deviceAuthorizations.find('b')).toMatchObject({ status: 'approved', approval: APPROVAL, decidedAt: 1300 });
    expect(await stores().deviceAuthorizations.decide('b', { status: 'denied' }, 1301)).toBe(false);
    expect(await stores().deviceAuthorizations.decide('missing', { status: 'denied' }, 1301)).toBe(false);
    // Not once expired (expiresAt 1600).
    await stores().deviceAuthorizations.insert(request('c'));
    expect(await stores().deviceAuthorizations.decide('c', { status: 'approved', approval: APPROVAL }, 1600)).toBe(false);
    expect(await stores().deviceAuthorizations.find('c')).toMatchObject({ status: 'pending', decidedAt: null });
  });

  it('is consumed once, and only once approved', async () => {
    await stores().deviceAuthorizations.insert(request('a'));
    expect(await stores().deviceAuthorizations.consume('a', 1300, 'grant-0')).toBe(false);
    await stores().deviceAuthorizations.decide('a', { status: 'approved', approval: APPROVAL }, 1200);
    const racing = await Promise.all(Array.from({ length: 6 }, (_, i) => stores().deviceAuthorizations.consume('a', 1300, `grant-${i}`)));
    expect(racing.filter(Boolean)).toHaveLength(1);
    const consumed = await stores().deviceAuthorizations.find('a');
    expect(consumed).toMatchObject({ consumedAt: 1300, grantId: `grant-${racing.indexOf(true)}` });

    await stores().deviceAuthorizations.insert(request('denied'));
    await stores().deviceAuthorizations.decide('denied', { status: 'denied' }, 1200);
    expect(await stores().deviceAuthorizations.consume('denied', 1300, 'grant-x')).toBe(false);
  });

  it('purges requests that expired before the cut-off, in batches', async () => {
    for (let i = 0; i < 5; i += 1) await stores().deviceAuthorizations.insert(request(`old-${i}`, { expiresAt: 100 + i }));
    await stores().deviceAuthorizations.insert(request('live', { expiresAt: 500 }));
    expect(await stores().deviceAuthorizations.purgeExpired(200, 3)).toBe(3);
    expect(await stores().deviceAuthorizations.purgeExpired(200, 3)).toBe(2);
    expect(await stores().deviceAuthorizations.purgeExpired(200, 3)).toBe(0);
    expect(await stores().deviceAuthorizations.find('live')).toBeDefined();
    expect(await stores().deviceAuthorizations.find('old-0')).toBeUndefined();
  });
}
