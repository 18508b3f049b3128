/**
 * Storage contract section for the people stores (src/storage/people.ts): users found by id and by
 * email as `normalizeEmail` compares them, one user per email; sessions found by id and by secret
 * hash, re-authenticated in place, ended once (one or all of a user's); login-throttle counters
 * that count every attempt, block for what the rule says and are forgotten, forgiven and purged;
 * and the bounded purges (each deleting only what is past its bound, at most `limit` rows).
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import { DuplicateEmailError, type SessionRecord, type UserRecord } from '../../src/storage/people.js';
import type { CurrentStores } from './contract.js';

const T = 1_700_000_000;
const RULE = { blockSeconds: () => 0, forgetAfterSeconds: 3600 };

function userRecord(overrides: Partial<UserRecord> = {}): UserRecord {
  const id = crypto.randomUUID();
  return { id, email: `${id}@example.com`, name: null, passwordHash: 'x', disabledAt: null, createdAt: T, ...overrides };
}

async function withUser(stores: CurrentStores): Promise<string> {
  const user = userRecord();
  await stores().users.insert(user);
  return user.id;
}

function sessionRecord(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return { id: crypto.randomUUID(), secretHash: crypto.randomBytes(32).toString('hex'), userId, authTime: T, authMethods: ['pwd'], createdAt: T, expiresAt: T + 1000, endedAt: null, ...overrides };
}

export function peopleStoresContract(stores: CurrentStores): void {
  it('finds a user by id, and by email whatever its case and surrounding spaces, with every field as written', async () => {
    const user = userRecord({ email: 'Ada.Lovelace@Example.COM', name: 'Ada Lovelace', passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA' });
    await stores().users.insert(user);
    expect(await stores().users.find(user.id)).toEqual(user);
    expect(await stores().users.findByEmail('  ada.lovelace@example.com ')).toEqual(user);
    expect(await stores().users.findByEmail('ADA.LOVELACE@EXAMPLE.COM')).toEqual(user);
    expect(await stores().users.find('no-such-user')).toBeUndefined();
    expect(await stores().users.findByEmail('nobody@example.com')).toBeUndefined();
  });

  it('refuses a second user with the same email, in any case, with DuplicateEmailError', async () => {
    const first = userRecord({ email: 'grace@example.com' });
    await stores().users.insert(first);
    const second = userRecord({ email: ' Grace@Example.com' });
    await expect(stores().users.insert(second)).rejects.toBeInstanceOf(DuplicateEmailError);
    expect(await stores().users.find(second.id)).toBeUndefined();
    expect((await stores().users.findByEmail('grace@example.com'))?.id).toBe(first.id);
  });

  it('changes a password hash and nothing else', async () => {
    const user = userRecord();
    await stores().users.insert(user);
    await stores().users.updatePasswordHash(user.id, 'new-hash');
    expect(await stores().users.find(user.id)).toEqual({ ...user, passwordHash: 'new-hash' });
  });

  it('disables a user, keeping the first time, and says when there was no such user', async () => {
    const user = userRecord();
    await stores().users.insert(user);
    expect(await stores().users.disable(user.id, T + 1)).toBe(true);
    expect((await stores().users.find(user.id))?.disabledAt).toBe(T + 1);
    expect(await stores().users.disable(user.id, T + 2)).toBe(true);
    expect((await stores().users.findByEmail(user.email))?.disabledAt).toBe(T + 1);
    expect(await stores().users.disable('no-such-user', T)).toBe(false);
  });

  it('enables a disabled user, and says when there was no such user or it was not disabled', async () => {
    const user = userRecord();
    await stores().users.insert(user);
    expect(await stores().users.enable(user.id)).toBe(false);
    await stores().users.disable(user.id, T + 1);
    expect(await stores().users.enable(user.id)).toBe(true);
    expect((await stores().users.find(user.id))?.disabledAt).toBeNull();
    expect(await stores().users.enable(user.id)).toBe(false);
    expect(await stores().users.enable('no-such-user')).toBe(false);
  });

  it('searches users by a part of their normalised email, oldest first, at most the limit, wildcards matched literally', async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const grace = userRecord({ email: `Grace.${tag}@Example.com`, createdAt: T + 2 });
    const ada = userRecord({ email: `ada.${tag}@example.com`, createdAt: T + 1 });
    const literal = userRecord({ email: `under_score.${tag}@example.com`, createdAt: T + 3 });
    const unrelated = userRecord({ email: `underXscore.${tag}@example.org` });
    for (const user of [grace, ada, literal, unrelated]) await stores().users.insert(user);
    expect(await stores().users.search(`${tag.toUpperCase()}@EXAMPLE.COM`, 10)).toEqual([ada, grace, literal]);
    expect(await stores().users.search(`.${tag}@example.com`, 2)).toEqual([ada, grace]);
    expect(await stores().users.search(`under_score.${tag}`, 10)).toEqual([literal]);
    expect(await stores().users.search(`%${tag}`, 10)).toEqual([]);
    expect((await stores().users.search('', 1000)).map((user) => user.id)).toEqual(expect.arrayContaining([ada.id, grace.id, literal.id, unrelated.id]));
  });

  it('finds a session by id and by secret hash with every field as written', async () => {
    const session = sessionRecord(await withUser(stores), { authTime: T - 5 });
    await stores().sessions.insert(session);
    expect(await stores().sessions.find(session.id)).toEqual(session);
    expect(await stores().sessions.findBySecretHash(session.secretHash)).toEqual(session);
    expect(await stores().sessions.find('no-such-session')).toBeUndefined();
    expect(await stores().sessions.findBySecretHash('0'.repeat(64))).toBeUndefined();
  });

  it('re-authenticates a session in place: a new secret, auth_time and methods, the old secret finds nothing', async () => {
    const session = sessionRecord(await withUser(stores));
    await stores().sessions.insert(session);
    expect((await stores().sessions.find(session.id))?.authMethods).toEqual(['pwd']);
    const secretHash = crypto.randomBytes(32).toString('hex');
    await stores().sessions.reauthenticate(session.id, secretHash, T + 50, ['pwd', 'otp']);
    expect(await stores().sessions.findBySecretHash(session.secretHash)).toBeUndefined();
    expect(await stores().sessions.findBySecretHash(secretHash)).toEqual({ ...session, secretHash, authTime: T + 50, authMethods: ['pwd', 'otp'] });
  });

  it('keeps the methods a session was started with (a passkey sign-in has no pwd)', async () => {
    const session = sessionRecord(await withUser(stores), { authMethods: ['hwk', 'user'] });
    await stores().sessions.insert(session);
    expect(await stores().sessions.find(session.id)).toEqual(session);
  });

  it('ends a session once, and says when there was none to end', async () => {
    const session = sessionRecord(await withUser(stores));
    await stores().sessions.insert(session);
    expect(await stores().sessions.end(session.id, T + 1)).toBe(true);
    expect(await stores().sessions.end(session.id, T + 2)).toBe(false);
    expect((await stores().sessions.find(session.id))?.endedAt).toBe(T + 1);
    expect(await stores().sessions.end('no-such-session', T)).toBe(false);
  });

  it('ends every live session of one user, returning their ids, and leaves the others alone', async () => {
    const userId = await withUser(stores);
    const otherUserId = await withUser(stores);
    const live = [sessionRecord(userId), sessionRecord(userId)];
    const ended = sessionRecord(userId);
    const others = sessionRecord(otherUserId);
    for (const session of [...live, ended, others]) await stores().sessions.insert(session);
    await stores().sessions.end(ended.id, T + 1);
    expect((await stores().sessions.endAllForUser(userId, T + 9)).sort()).toEqual(live.map((session) => session.id).sort());
    for (const session of live) expect((await stores().sessions.find(session.id))?.endedAt).toBe(T + 9);
    expect((await stores().sessions.find(ended.id))?.endedAt).toBe(T + 1);
    expect((await stores().sessions.find(others.id))?.endedAt).toBeNull();
    expect(await stores().sessions.endAllForUser(userId, T + 10)).toEqual([]);
  });

  it('lists a user\'s live sessions newest first, without ended, expired or other users\' ones', async () => {
    const userId = await withUser(stores);
    const older = sessionRecord(userId, { createdAt: T });
    const newer = sessionRecord(userId, { createdAt: T + 5 });
    const ended = sessionRecord(userId);
    const expired = sessionRecord(userId, { expiresAt: T + 10 });
    const others = sessionRecord(await withUser(stores));
    for (const session of [older, newer, ended, expired, others]) await stores().sessions.insert(session);
    await stores().sessions.end(ended.id, T + 1);
    expect(await stores().sessions.listLiveForUser(userId, T + 10)).toEqual([newer, older]);
    expect(await stores().sessions.listLiveForUser('no-such-user', T)).toEqual([]);
  });

  it('purges sessions that ended or expired before the bound, and keeps live ones', async () => {
    const userId = await withUser(stores);
    const session = (id: string, expiresAt: number) => ({ id, secretHash: crypto.randomBytes(32).toString('hex'), userId, authTime: T, authMethods: ['pwd'], createdAt: T, expiresAt, endedAt: null });
    await stores().sessions.insert(session('ended', T + 1000));
    await stores().sessions.insert(session('expired', T + 5));
    await stores().sessions.insert(session('live', T + 1000));
    await stores().sessions.end('ended', T + 1);
    expect(await stores().sessions.purgeOver(T + 10, 10)).toBe(2);
    expect(await stores().sessions.find('live')).toBeDefined();
    expect(await stores().sessions.find('ended')).toBeUndefined();
  });

  it('admits and counts attempts, blocks for what the rule says, and refuses without counting while blocked', async () => {
    const throttle = stores().loginThrottle;
    const rule = { blockSeconds: (failures: number) => (failures >= 2 ? 100 : 0), forgetAfterSeconds: 3600 };
    expect(await throttle.admit('account:ada', T, rule)).toEqual({ admitted: true, record: { key: 'account:ada', failures: 1, lastFailureAt: T, blockedUntil: T } });
    expect(await throttle.admit('account:ada', T + 1, rule)).toEqual({ admitted: true, record: { key: 'account:ada', failures: 2, lastFailureAt: T + 1, blockedUntil: T + 101 } });
    expect(await throttle.admit('account:ada', T + 50, rule)).toEqual({ admitted: false, record: { key: 'account:ada', failures: 2, lastFailureAt: T + 1, blockedUntil: T + 101 } });
    expect((await throttle.admit('account:ada', T + 101, rule)).record).toMatchObject({ failures: 3, blockedUntil: T + 201 });
    // Another key counts apart.
    expect((await throttle.admit('account:grace', T + 50, rule)).record.failures).toBe(1);
  });

  it('counts again from one once a counter was untouched for the rule\'s forgetAfterSeconds', async () => {
    const throttle = stores().loginThrottle;
    await throttle.admit('address:192.0.2.1', T, RULE);
    expect((await throttle.admit('address:192.0.2.1', T + 3600, RULE)).record.failures).toBe(2);
    expect((await throttle.admit('address:192.0.2.1', T + 3600 + 3601, RULE)).record.failures).toBe(1);
  });

  it('forgets a key on reset, and uncounts one attempt on forgive, never below zero', async () => {
    const throttle = stores().loginThrottle;
    for (let i = 0; i < 3; i += 1) await throttle.admit('account:ada', T, RULE);
    await throttle.forgive('account:ada');
    expect((await throttle.admit('account:ada', T, RULE)).record.failures).toBe(3);
    await throttle.reset('account:ada');
    expect((await throttle.admit('account:ada', T, RULE)).record.failures).toBe(1);
    await throttle.forgive('account:ada');
    await throttle.forgive('account:ada');
    expect((await throttle.admit('account:ada', T, RULE)).record.failures).toBe(1);
    await throttle.forgive('account:nobody');
    await throttle.reset('account:nobody');
  });

  it('counts every one of concurrent attempts on one key', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => stores().loginThrottle.admit('address:198.51.100.7', T, RULE)));
    expect(results.map((result) => result.record.failures).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
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
