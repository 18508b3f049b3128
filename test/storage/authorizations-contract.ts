/**
 * Storage contract section for the authorization-code flow's stores (src/storage/authorizations.ts):
 * consents that only ever grow; pending authorization requests that round-trip, change only in the
 * fields an update names, are deleted once (the one who deletes completes the request), counted
 * per address and purged once expired; and codes that round-trip, are consumed once with the grant
 * they started, keep their first replay time, and are purged past their bound, at most `limit` at
 * a time.
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { AuthorizationCodeRecord, AuthorizationRequestRecord, PendingAuthorization } from '../../src/storage/authorizations.js';
import { clientRecord } from './clients-contract.js';
import type { CurrentStores } from './contract.js';

const T = 1_700_000_000;

async function withUser(stores: CurrentStores): Promise<string> {
  const id = crypto.randomUUID();
  await stores().users.insert({ id, email: `${id}@example.com`, name: null, passwordHash: 'x', disabledAt: null, createdAt: T });
  return id;
}

function code(userId: string, expiresAt: number): AuthorizationCodeRecord {
  return {
    codeHash: crypto.randomBytes(32).toString('hex'),
    clientId: 'client',
    userId,
    sessionId: 'sid',
    redirectUri: 'https://app.example/cb',
    scopes: ['openid'],
    nonce: null,
    codeChallenge: null,
    authTime: T,
    authMethods: ['pwd'],
    acr: null,
    createdAt: expiresAt - 60,
    expiresAt,
    consumedAt: null,
    grantId: null,
    replayedAt: null,
  };
}

const pending: PendingAuthorization = {
  clientId: 'c',
  redirectUri: 'https://app.example/cb',
  scopes: [],
  state: null,
  nonce: null,
  codeChallenge: null,
  prompt: [],
  maxAgeSeconds: null,
  loginHint: null,
};

function requestRecord(overrides: Partial<AuthorizationRequestRecord> = {}): AuthorizationRequestRecord {
  return {
    id: crypto.randomUUID(),
    browserHash: 'b',
    csrfHash: null,
    request: pending,
    userId: null,
    sessionId: null,
    authTime: null,
    consented: false,
    createdAt: T,
    expiresAt: T + 600,
    addressKey: null,
    partialUserId: null,
    partialMethods: null,
    ...overrides,
  };
}

export function authorizationStoresContract(stores: CurrentStores): void {
  it('remembers the scopes a user allowed a client, adding to them and never taking any back', async () => {
    const userId = await withUser(stores);
    const client = clientRecord();
    await stores().clients.insert(client);
    expect(await stores().consents.find(userId, client.clientId)).toBeUndefined();
    await stores().consents.grant(userId, client.clientId, ['openid', 'profile'], T);
    expect([...((await stores().consents.find(userId, client.clientId)) ?? [])].sort()).toEqual(['openid', 'profile']);
    await stores().consents.grant(userId, client.clientId, ['email', 'openid'], T + 1);
    expect([...((await stores().consents.find(userId, client.clientId)) ?? [])].sort()).toEqual(['email', 'openid', 'profile']);
    expect(await stores().consents.find(userId, 'another-client')).toBeUndefined();
  });

  it('finds a pending request with every field as written, and changes only what an update names', async () => {
    const request: PendingAuthorization = {
      clientId: 'app',
      redirectUri: 'https://app.example/cb?x=1',
      scopes: ['openid', 'profile'],
      state: 'état',
      nonce: 'n-1',
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      prompt: ['login', 'consent'],
      maxAgeSeconds: 300,
      loginHint: 'ada@example.com',
      acrValues: ['urn:inkan:acr:mfa', 'phr'],
      uiLocales: ['ja-JP', 'de'],
    };
    const record = requestRecord({ request, csrfHash: 'c-1', addressKey: 'address:192.0.2.1' });
    await stores().authorizationRequests.insert(record);
    expect(await stores().authorizationRequests.find(record.id)).toEqual(record);
    expect(await stores().authorizationRequests.find('no-such-request')).toBeUndefined();

    await stores().authorizationRequests.update(record.id, { userId: 'u-1', sessionId: 's-1', authTime: T + 5 });
    await stores().authorizationRequests.update(record.id, { csrfHash: 'c-2', consented: true });
    await stores().authorizationRequests.update(record.id, {});
    expect(await stores().authorizationRequests.find(record.id)).toEqual({
      ...record,
      userId: 'u-1',
      sessionId: 's-1',
      authTime: T + 5,
      csrfHash: 'c-2',
      consented: true,
    });
  });

  it('keeps a first factor waiting for the second, and forgets it when told', async () => {
    const record = requestRecord({ request: { ...pending, returnTo: '/account' } });
    await stores().authorizationRequests.insert(record);
    expect(await stores().authorizationRequests.find(record.id)).toEqual(record);
    await stores().authorizationRequests.update(record.id, { partialUserId: 'u-1', partialMethods: ['pwd'] });
    expect(await stores().authorizationRequests.find(record.id)).toEqual({ ...record, partialUserId: 'u-1', partialMethods: ['pwd'] });
    await stores().authorizationRequests.update(record.id, { partialUserId: null, partialMethods: null, userId: 'u-1' });
    expect(await stores().authorizationRequests.find(record.id)).toEqual({ ...record, userId: 'u-1' });
  });

  it('deletes a pending request once: only the first delete gets true', async () => {
    const record = requestRecord();
    await stores().authorizationRequests.insert(record);
    const deletes = await Promise.all([stores().authorizationRequests.delete(record.id), stores().authorizationRequests.delete(record.id)]);
    expect(deletes.filter(Boolean)).toHaveLength(1);
    expect(await stores().authorizationRequests.find(record.id)).toBeUndefined();
    expect(await stores().authorizationRequests.delete('no-such-request')).toBe(false);
  });

  it('purges pending authorization requests once expired', async () => {
    await stores().authorizationRequests.insert(requestRecord({ id: 'expired', expiresAt: T + 10 }));
    await stores().authorizationRequests.insert(requestRecord({ id: 'live', expiresAt: T + 20 }));
    expect(await stores().authorizationRequests.purgeExpired(T + 10, 10)).toBe(1);
    expect(await stores().authorizationRequests.find('expired')).toBeUndefined();
    expect(await stores().authorizationRequests.find('live')).toBeDefined();
  });

  it('counts the live pending requests of one address', async () => {
    const address = `address:${crypto.randomUUID()}`;
    await stores().authorizationRequests.insert(requestRecord({ expiresAt: T + 10, addressKey: address }));
    await stores().authorizationRequests.insert(requestRecord({ expiresAt: T + 20, addressKey: address }));
    await stores().authorizationRequests.insert(requestRecord({ expiresAt: T + 20, addressKey: `${address}-other` }));
    await stores().authorizationRequests.insert(requestRecord({ expiresAt: T + 20, addressKey: null }));
    expect(await stores().authorizationRequests.countLive(address, T)).toBe(2);
    expect(await stores().authorizationRequests.countLive(address, T + 10)).toBe(1);
    expect(await stores().authorizationRequests.countLive(address, T + 20)).toBe(0);
    expect(await stores().authorizationRequests.countLive('address:nobody', T)).toBe(0);
  });

  it('finds a code with every field as written, and answers a miss with undefined', async () => {
    const record: AuthorizationCodeRecord = {
      ...code(await withUser(stores), T + 60),
      scopes: ['openid', 'email', 'offline_access'],
      nonce: 'n-1',
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      authTime: T - 30,
      authMethods: ['pwd', 'otp'],
      acr: 'urn:inkan:acr:mfa',
    };
    await stores().authorizationCodes.insert(record);
    expect(await stores().authorizationCodes.find(record.codeHash)).toEqual(record);
    expect(await stores().authorizationCodes.find('0'.repeat(64))).toBeUndefined();
  });

  it('consumes a code once, recording the grant it started, and keeps the first replay time', async () => {
    const record = code(await withUser(stores), T + 60);
    await stores().authorizationCodes.insert(record);
    expect((await stores().authorizationCodes.find(record.codeHash))?.grantId).toBeNull();
    expect(await stores().authorizationCodes.consume(record.codeHash, T + 1, 'grant-1')).toBe(true);
    expect(await stores().authorizationCodes.consume(record.codeHash, T + 2, 'grant-2')).toBe(false);
    const replayed = await stores().authorizationCodes.markReplayed(record.codeHash, T + 5);
    expect(replayed).toMatchObject({ consumedAt: T + 1, grantId: 'grant-1', replayedAt: T + 5 });
    expect((await stores().authorizationCodes.markReplayed(record.codeHash, T + 9))?.replayedAt).toBe(T + 5);
    expect(await stores().authorizationCodes.markReplayed('0'.repeat(64), T)).toBeUndefined();
  });

  it('lets exactly one of concurrent consumptions of a code win', async () => {
    const record = code(await withUser(stores), T + 60);
    await stores().authorizationCodes.insert(record);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => stores().authorizationCodes.consume(record.codeHash, T + 1, `grant-${i}`)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await stores().authorizationCodes.find(record.codeHash))?.grantId).toBe(`grant-${results.indexOf(true)}`);
  });

  it('purges codes that expired before the bound, at most `limit` at a time', async () => {
    const userId = await withUser(stores);
    const old = [code(userId, T), code(userId, T + 1), code(userId, T + 2)];
    const fresh = code(userId, T + 100);
    for (const record of [...old, fresh]) await stores().authorizationCodes.insert(record);
    expect(await stores().authorizationCodes.purgeExpired(T + 50, 2)).toBe(2);
    expect(await stores().authorizationCodes.purgeExpired(T + 50, 2)).toBe(1);
    expect(await stores().authorizationCodes.purgeExpired(T + 50, 2)).toBe(0);
    expect(await stores().authorizationCodes.find(fresh.codeHash)).toBeDefined();
  });
}
