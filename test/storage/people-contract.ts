/**
 * The storage contract of the people tables' code replay and housekeeping methods, on every engine:
 * an authorization code consumed once with what it issued (refresh family id included), a replay
 * mark that keeps the first time, and the bounded purges of codes, pending requests, sessions and
 * login-throttle counters (each deleting only what is past its bound, at most `limit` rows).
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { AuthorizationCodeRecord } from '../../src/storage/authorizations.js';
import type { CurrentStores } from './contract.js';

const T = 1_700_000_000;
const RULE = { blockSeconds: () => 0, forgetAfterSeconds: 3600 };

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
    createdAt: expiresAt - 60,
    expiresAt,
    consumedAt: null,
    grantId: null,
    replayedAt: null,
  };
}

export function peopleStoreContract(stores: CurrentStores): void {
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

  it('purges pending authorization requests once expired', async () => {
    const request = { clientId: 'c', redirectUri: 'https://app.example/cb', scopes: [], state: null, nonce: null, codeChallenge: null, prompt: [], maxAgeSeconds: null, loginHint: null };
    const base = { browserHash: 'b', csrfHash: null, request, userId: null, sessionId: null, authTime: null, consented: false, createdAt: T, addressKey: null };
    await stores().authorizationRequests.insert({ ...base, id: 'expired', expiresAt: T + 10 });
    await stores().authorizationRequests.insert({ ...base, id: 'live', expiresAt: T + 20 });
    expect(await stores().authorizationRequests.purgeExpired(T + 10, 10)).toBe(1);
    expect(await stores().authorizationRequests.find('expired')).toBeUndefined();
    expect(await stores().authorizationRequests.find('live')).toBeDefined();
  });

  it('counts the live pending requests of one address', async () => {
    const request = { clientId: 'c', redirectUri: 'https://app.example/cb', scopes: [], state: null, nonce: null, codeChallenge: null, prompt: [], maxAgeSeconds: null, loginHint: null };
    const base = { browserHash: 'b', csrfHash: null, request, userId: null, sessionId: null, authTime: null, consented: false, createdAt: T };
    const address = `address:${crypto.randomUUID()}`;
    await stores().authorizationRequests.insert({ ...base, id: crypto.randomUUID(), expiresAt: T + 10, addressKey: address });
    await stores().authorizationRequests.insert({ ...base, id: crypto.randomUUID(), expiresAt: T + 20, addressKey: address });
    await stores().authorizationRequests.insert({ ...base, id: crypto.randomUUID(), expiresAt: T + 20, addressKey: `${address}-other` });
    await stores().authorizationRequests.insert({ ...base, id: crypto.randomUUID(), expiresAt: T + 20, addressKey: null });
    expect(await stores().authorizationRequests.countLive(address, T)).toBe(2);
    expect(await stores().authorizationRequests.countLive(address, T + 10)).toBe(1);
    expect(await stores().authorizationRequests.countLive(address, T + 20)).toBe(0);
    expect(await stores().authorizationRequests.countLive('address:nobody', T)).toBe(0);
  });

  it('purges sessions that ended or expired before the bound, and keeps live ones', async () => {
    const userId = await withUser(stores);
    const session = (id: string, expiresAt: number) => ({ id, secretHash: crypto.randomBytes(32).toString('hex'), userId, authTime: T, createdAt: T, expiresAt, endedAt: null });
    await stores().sessions.insert(session('ended', T + 1000));
    await stores().sessions.insert(session('expired', T + 5));
    await stores().sessions.insert(session('live', T + 1000));
    await stores().sessions.end('ended', T + 1);
    expect(await stores().sessions.purgeOver(T + 10, 10)).toBe(2);
    expect(await stores().sessions.find('live')).toBeDefined();
    expect(await stores().sessions.find('ended')).toBeUndefined();
  });

  it('purges throttle counters not blocking whose last failure is before the bound', async () => {
    const throttle = stores().loginThrottle;
    await throttle.admit('address:old', T, RULE);
    await throttle.admit('address:blocked', T, { blockSeconds: () => 500, forgetAfterSeconds: 3600 });
    await throttle.admit('address:recent', T + 100, RULE);
    expect(await throttle.purgeStale(T + 50, T + 200, 10)).toBe(1);
    // The purged counter starts again from zero; the others keep counting.
    expect((await throttle.admit('address:old', T + 300, RULE)).record.failures).toBe(1);
    expect((await throttle.admit('address:recent', T + 300, RULE)).record.failures).toBe(2);
    expect((await throttle.admit('address:blocked', T + 300, RULE)).admitted).toBe(false);
  });
}
