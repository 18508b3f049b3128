/**
 * Storage contract section for back-channel logout (src/storage/backchannel-logout.ts): which
 * clients each session signed in to (recorded once, gone with the session or the client), and the
 * delivery queue: rows only for clients with a logout URI, the per-client cap, a grant's one
 * delivery, claims that hand a row to one caller at a time (one process or two) until the lease
 * ends, finish and retry only under the caller's lease, depth and per-client counts.
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { Stores } from '../../src/storage/stores.js';
import { clientRecord } from './clients-contract.js';
import type { CurrentStores } from './contract.js';
import { familyRecord, tokenRecord } from './refresh-contract.js';

const T = 1_700_000_000;
const LOGOUT_URI = 'https://rp.example.com/backchannel-logout';

async function client(stores: Stores, logoutUri: string | null = LOGOUT_URI): Promise<string> {
  const record = clientRecord({ backchannelLogoutUri: logoutUri, backchannelLogoutSessionRequired: logoutUri !== null });
  await stores.clients.insert(record);
  return record.clientId;
}

async function session(stores: Stores, userId?: string, overrides: { endedAt?: number | null; expiresAt?: number } = {}): Promise<{ sid: string; userId: string }> {
  const id = userId ?? crypto.randomUUID();
  if (userId === undefined) await stores.users.insert({ id, email: `${id}@example.com`, name: null, passwordHash: 'x', disabledAt: null, createdAt: T });
  const sid = crypto.randomUUID();
  await stores.sessions.insert({
    id: sid,
    secretHash: crypto.randomBytes(32).toString('hex'),
    userId: id,
    authTime: T,
    authMethods: ['pwd'],
    createdAt: T,
    expiresAt: overrides.expiresAt ?? T + 1000,
    endedAt: overrides.endedAt ?? null,
  });
  return { sid, userId: id };
}

export function backchannelLogoutStoresContract(stores: CurrentStores): void {
  it('records each client a session signed in to once, lists them in client_id order, and forgets them with the session or the client', async () => {
    const s = stores();
    const [a, b] = [await client(s), await client(s, null)];
    const { sid } = await session(s);
    await s.sessionClients.record(sid, b, T);
    await s.sessionClients.record(sid, a, T + 1);
    await s.sessionClients.record(sid, a, T + 2);
    expect(await s.sessionClients.clientsOf(sid)).toEqual([a, b].sort());
    expect(await s.sessionClients.clientsOf('no-such-session')).toEqual([]);
    expect(await s.clients.delete(b)).toBe(true);
    expect(await s.sessionClients.clientsOf(sid)).toEqual([a]);
    await s.sessions.end(sid, T + 10);
    expect(await s.sessions.purgeOver(T + 11, 10)).toBe(1);
    expect(await s.sessionClients.clientsOf(sid)).toEqual([]);
  });

  it('queues one delivery per session and client with a logout URI, due at once, with the sid and sub', async () => {
    const s = stores();
    const [withUri, alsoWithUri, withoutUri] = [await client(s), await client(s), await client(s, null)];
    const first = await session(s);
    const second = await session(s, first.userId);
    const untouched = await session(s);
    for (const id of [withUri, withoutUri]) await s.sessionClients.record(first.sid, id, T);
    await s.sessionClients.record(second.sid, alsoWithUri, T);
    await s.sessionClients.record(untouched.sid, withUri, T);
    expect(await s.logoutDeliveries.enqueueForSessions([first.sid, second.sid, 'no-such-session'], T + 5, 100)).toEqual({ queued: 2, dropped: [] });
    expect(await s.logoutDeliveries.depth()).toBe(2);
    const claimed = await s.logoutDeliveries.claim('lease-1', T + 5, T + 30, 10);
    expect(claimed.map(({ id: _id, ...rest }) => rest).sort((x, y) => x.clientId.localeCompare(y.clientId))).toEqual(
      [
        { clientId: withUri, sessionId: first.sid, sub: first.userId, createdAt: T + 5, attempts: 1, nextAttemptAt: T + 5, lastError: null },
        { clientId: alsoWithUri, sessionId: second.sid, sub: first.userId, createdAt: T + 5, attempts: 1, nextAttemptAt: T + 5, lastError: null },
      ].sort((x, y) => x.clientId.localeCompare(y.clientId)),
    );
    expect(await s.logoutDeliveries.enqueueForSessions([], T, 100)).toEqual({ queued: 0, dropped: [] });
  });

  it('refuses deliveries beyond the per-client cap and names them, leaving other clients unaffected', async () => {
    const s = stores();
    const [busy, other] = [await client(s), await client(s)];
    const sessions = [await session(s), await session(s), await session(s)];
    for (const { sid } of sessions) {
      await s.sessionClients.record(sid, busy, T);
      await s.sessionClients.record(sid, other, T);
    }
    await s.logoutDeliveries.enqueueForSessions([sessions[0]!.sid], T, 2);
    const result = await s.logoutDeliveries.enqueueForSessions([sessions[1]!.sid, sessions[2]!.sid], T, 2);
    expect(result.queued).toBe(2);
    expect(result.dropped).toHaveLength(2);
    expect(new Set(result.dropped.map((dropped) => dropped.clientId))).toEqual(new Set([busy, other]));
    expect(await s.logoutDeliveries.pendingFor(busy)).toBe(2);
    expect(await s.logoutDeliveries.pendingFor(other)).toBe(2);
    expect(await s.logoutDeliveries.pendingFor('no-such-client')).toBe(0);
  });

  it("queues one delivery for a grant: its family's client and session, only when that client has a logout URI", async () => {
    const s = stores();
    const [withUri, withoutUri] = [await client(s), await client(s, null)];
    const family = familyRecord({ clientId: withUri, userId: 'user-7', sessionId: 'session-7' });
    await s.refreshTokens.startFamily(family, tokenRecord(family));
    const silent = familyRecord({ clientId: withoutUri });
    await s.refreshTokens.startFamily(silent, tokenRecord(silent));
    expect(await s.logoutDeliveries.enqueueForGrant(family.id, T, 100)).toEqual({ queued: 1, dropped: [] });
    expect(await s.logoutDeliveries.enqueueForGrant(silent.id, T, 100)).toEqual({ queued: 0, dropped: [] });
    expect(await s.logoutDeliveries.enqueueForGrant('no-such-grant', T, 100)).toEqual({ queued: 0, dropped: [] });
    const [claimed] = await s.logoutDeliveries.claim('lease-1', T, T + 30, 10);
    expect(claimed).toMatchObject({ clientId: withUri, sessionId: 'session-7', sub: 'user-7', attempts: 1 });
  });

  it('claims due rows oldest first up to the limit, holds them until the lease ends, then hands them out again', async () => {
    const s = stores();
    const id = await client(s);
    const sessions = [await session(s), await session(s), await session(s)];
    for (const [index, { sid }] of sessions.entries()) {
      await s.sessionClients.record(sid, id, T);
      await s.logoutDeliveries.enqueueForSessions([sid], T + index, 100);
    }
    expect(await s.logoutDeliveries.claim('early', T - 1, T + 30, 10)).toEqual([]);
    const firstTwo = await s.logoutDeliveries.claim('a', T + 5, T + 30, 2);
    expect(firstTwo.map((row) => row.sessionId)).toEqual([sessions[0]!.sid, sessions[1]!.sid]);
    const rest = await s.logoutDeliveries.claim('b', T + 5, T + 30, 10);
    expect(rest.map((row) => row.sessionId)).toEqual([sessions[2]!.sid]);
    expect(await s.logoutDeliveries.claim('c', T + 29, T + 60, 10)).toEqual([]);
    const again = await s.logoutDeliveries.claim('d', T + 30, T + 60, 10);
    expect(again).toHaveLength(3);
    expect(again.every((row) => row.attempts === 2)).toBe(true);
    // The old leases no longer hold them.
    expect(await s.logoutDeliveries.finish(firstTwo[0]!.id, 'a')).toBe(false);
    expect(await s.logoutDeliveries.finish(firstTwo[0]!.id, 'd')).toBe(true);
    expect(await s.logoutDeliveries.depth()).toBe(2);
  });

  it('retries a row at the given time with its error, releasing the lease, and only under the lease that holds it', async () => {
    const s = stores();
    const id = await client(s);
    const { sid } = await session(s);
    await s.sessionClients.record(sid, id, T);
    await s.logoutDeliveries.enqueueForSessions([sid], T, 100);
    const [row] = await s.logoutDeliveries.claim('a', T, T + 30, 1);
    expect(await s.logoutDeliveries.retryAt(row!.id, 'someone-else', T + 5, 'answered 500')).toBe(false);
    expect(await s.logoutDeliveries.retryAt(row!.id, 'a', T + 5, `answered 500 ${'x'.repeat(300)}`)).toBe(true);
    expect(await s.logoutDeliveries.claim('b', T + 4, T + 30, 1)).toEqual([]);
    const [retried] = await s.logoutDeliveries.claim('b', T + 5, T + 30, 1);
    expect(retried).toMatchObject({ id: row!.id, attempts: 2, nextAttemptAt: T + 5 });
    expect(retried!.lastError).toBe(`answered 500 ${'x'.repeat(300)}`.slice(0, 200));
    expect(await s.logoutDeliveries.finish(retried!.id, 'b')).toBe(true);
    expect(await s.logoutDeliveries.finish(retried!.id, 'b')).toBe(false);
    expect(await s.logoutDeliveries.depth()).toBe(0);
  });

  it('gives each row to one of two processes claiming at the same moment', async () => {
    const s = stores();
    const peer = await stores.peer();
    const id = await client(s);
    for (let index = 0; index < 20; index += 1) {
      const { sid } = await session(s);
      await s.sessionClients.record(sid, id, T);
      await s.logoutDeliveries.enqueueForSessions([sid], T, 100);
    }
    const rounds = await Promise.all([
      ...[0, 1, 2].map((round) => s.logoutDeliveries.claim(`one-${round}`, T, T + 30, 8)),
      ...[0, 1, 2].map((round) => peer.logoutDeliveries.claim(`two-${round}`, T, T + 30, 8)),
    ]);
    const ids = rounds.flat().map((row) => row.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeLessThanOrEqual(20);
    // Whatever was left after the race is still there for the next claim.
    const left = await s.logoutDeliveries.claim('after', T, T + 30, 100);
    expect(ids.length + left.length).toBe(20);
  });

  it("drops a client's waiting deliveries when the client is deleted", async () => {
    const s = stores();
    const id = await client(s);
    const { sid } = await session(s);
    await s.sessionClients.record(sid, id, T);
    await s.logoutDeliveries.enqueueForSessions([sid], T, 100);
    expect(await s.logoutDeliveries.pendingFor(id)).toBe(1);
    await s.clients.delete(id);
    expect(await s.logoutDeliveries.depth()).toBe(0);
  });
}
