/**
 * Storage contract section for the Shared Signals stores (src/storage/shared-signals.ts): the
 * security-event log appends in id order (also concurrently), lists after an id, knows its latest
 * id and purges by age; streams are kept with every field, listed per client, updated, given a
 * status and deleted with their queue; a verification is rate-limited; the fan-out moves a cursor
 * only from where it was (a second process's attempt from the same cursor queues nothing) and
 * skips a jti queued already; queued SETs come back in order and leave by jti; push streams with
 * work are found, leased by one owner at a time, and backed off.
 */
import { expect, it } from 'vitest';
import type { NewSecurityEvent, StreamRecord } from '../../src/storage/shared-signals.js';
import type { CurrentStores } from './contract.js';

const T = 1_700_000_000;

function event(overrides: Partial<NewSecurityEvent> = {}): NewSecurityEvent {
  return { type: 'session-revoked', userId: 'user-1', sessionId: null, txn: 'txn-1', initiatingEntity: 'admin', details: null, occurredAt: T, ...overrides };
}

function stream(overrides: Partial<StreamRecord> = {}): StreamRecord {
  return {
    id: 'stream-1',
    clientId: 'client-1',
    deliveryMethod: 'urn:ietf:rfc:8936',
    endpointUrl: null,
    sealedAuthorizationHeader: null,
    eventsRequested: ['urn:example:a'],
    description: null,
    status: 'enabled',
    statusReason: null,
    cursor: 0,
    createdAt: T,
    updatedAt: T,
    lastVerificationAt: null,
    pushFailures: 0,
    nextAttemptAt: 0,
    ...overrides,
  };
}

const set = (jti: string) => ({ jti, claims: { jti, events: { 'urn:example:a': {} } } });

export function securityEventStoreContract(stores: CurrentStores): void {
  it('appends events with increasing ids, every field kept, and lists them after an id', async () => {
    expect(await stores().securityEvents.latestId()).toBe(0);
    const added = await stores().securityEvents.append([
      event(),
      event({ type: 'credential-change', sessionId: 'sid-1', details: { credential_type: 'password', change_type: 'update' } }),
    ]);
    expect(added[1]!.id).toBeGreaterThan(added[0]!.id);
    expect(await stores().securityEvents.listSince(0, 10)).toEqual(added);
    expect(await stores().securityEvents.listSince(added[0]!.id, 10)).toEqual([added[1]]);
    expect(await stores().securityEvents.listSince(0, 1)).toEqual([added[0]]);
    expect(await stores().securityEvents.latestId()).toBe(added[1]!.id);
    expect(await stores().securityEvents.append([])).toEqual([]);
  });

  it('gives concurrent appends distinct ids, all listed in order', async () => {
    const batches = await Promise.all(Array.from({ length: 8 }, (_, i) => stores().securityEvents.append([event({ txn: `t-${i}` }), event({ txn: `t-${i}` })])));
    const ids = batches.flat().map((each) => each.id);
    expect(new Set(ids).size).toBe(16);
    for (const batch of batches) expect(batch[1]!.id).toBeGreaterThan(batch[0]!.id);
    expect((await stores().securityEvents.listSince(0, 100)).map((each) => each.id)).toEqual([...ids].sort((a, b) => a - b));
  });

  it('purges events older than the bound, at most `limit` at a time', async () => {
    await stores().securityEvents.append([event({ occurredAt: T - 10 }), event({ occurredAt: T - 5 }), event({ occurredAt: T })]);
    expect(await stores().securityEvents.purgeBefore(T, 1)).toBe(1);
    expect(await stores().securityEvents.purgeBefore(T, 10)).toBe(1);
    expect((await stores().securityEvents.listSince(0, 10)).map((each) => each.occurredAt)).toEqual([T]);
  });
}

export function streamStoreContract(stores: CurrentStores): void {
  it('keeps a stream with every field, lists and counts a client\'s, updates, sets status and deletes', async () => {
    const pushed = stream({ id: 's-push', deliveryMethod: 'urn:ietf:rfc:8935', endpointUrl: 'https://rx.example/events', sealedAuthorizationHeader: 'v1.sealed', description: 'd', cursor: 7 });
    await stores().ssfStreams.insert(pushed);
    await stores().ssfStreams.insert(stream({ id: 's-poll', createdAt: T + 1 }));
    await stores().ssfStreams.insert(stream({ id: 's-other', clientId: 'client-2' }));
    expect(await stores().ssfStreams.find('s-push')).toEqual(pushed);
    expect(await stores().ssfStreams.find('nope')).toBeUndefined();
    expect((await stores().ssfStreams.listForClient('client-1')).map((each) => each.id)).toEqual(['s-push', 's-poll']);
    expect(await stores().ssfStreams.countForClient('client-1')).toBe(2);
    expect(await stores().ssfStreams.countForClient('nobody')).toBe(0);

    expect(await stores().ssfStreams.update('s-push', { eventsRequested: [], description: null, endpointUrl: null, deliveryMethod: 'urn:ietf:rfc:8936', sealedAuthorizationHeader: null }, T + 5)).toBe(true);
    expect(await stores().ssfStreams.find('s-push')).toEqual({ ...pushed, eventsRequested: [], description: null, endpointUrl: null, deliveryMethod: 'urn:ietf:rfc:8936', sealedAuthorizationHeader: null, updatedAt: T + 5 });
    expect(await stores().ssfStreams.update('nope', { description: 'x' }, T)).toBe(false);

    expect(await stores().ssfStreams.setStatus('s-poll', 'paused', 'maintenance', T + 6)).toBe(true);
    expect(await stores().ssfStreams.find('s-poll')).toMatchObject({ status: 'paused', statusReason: 'maintenance', updatedAt: T + 6 });
    expect(await stores().ssfStreams.setStatus('nope', 'paused', null, T)).toBe(false);

    await stores().ssfStreams.enqueue('s-poll', set('j1'), T);
    expect(await stores().ssfStreams.delete('s-poll')).toBe(true);
    expect(await stores().ssfStreams.find('s-poll')).toBeUndefined();
    expect(await stores().ssfStreams.queuedCount('s-poll')).toBe(0);
    expect(await stores().ssfStreams.delete('s-poll')).toBe(false);
  });

  it('deletes every stream of a client with their queues, and no other', async () => {
    await stores().ssfStreams.insert(stream({ id: 'a1' }));
    await stores().ssfStreams.insert(stream({ id: 'a2' }));
    await stores().ssfStreams.insert(stream({ id: 'b1', clientId: 'client-2' }));
    await stores().ssfStreams.enqueue('a1', set('x'), T);
    await stores().ssfStreams.enqueue('b1', set('y'), T);
    expect(await stores().ssfStreams.deleteForClient('client-1')).toBe(2);
    expect(await stores().ssfStreams.listForClient('client-1')).toEqual([]);
    expect(await stores().ssfStreams.queuedCount('a1')).toBe(0);
    expect(await stores().ssfStreams.queuedCount('b1')).toBe(1);
    expect(await stores().ssfStreams.deleteForClient('client-1')).toBe(0);
  });

  it('allows one verification per interval', async () => {
    await stores().ssfStreams.insert(stream());
    expect(await stores().ssfStreams.markVerification('stream-1', T, T - 5)).toBe(true);
    expect(await stores().ssfStreams.markVerification('stream-1', T + 2, T - 3)).toBe(false);
    expect(await stores().ssfStreams.markVerification('stream-1', T + 5, T)).toBe(true);
    expect((await stores().ssfStreams.find('stream-1'))?.lastVerificationAt).toBe(T + 5);
    expect(await stores().ssfStreams.markVerification('nope', T, T)).toBe(false);
  });

  it('moves the cursor only from where it is, queueing SETs in order once each, and removes them by jti', async () => {
    await stores().ssfStreams.insert(stream({ cursor: 3 }));
    expect(await stores().ssfStreams.advance('stream-1', 3, 5, [set('a'), set('b')], T)).toBe(true);
    // Another process fanning out from the old cursor: nothing happens.
    expect(await stores().ssfStreams.advance('stream-1', 3, 5, [set('c')], T)).toBe(false);
    expect((await stores().ssfStreams.find('stream-1'))?.cursor).toBe(5);
    // A jti queued already is skipped.
    expect(await stores().ssfStreams.advance('stream-1', 5, 6, [set('b'), set('c')], T)).toBe(true);
    await stores().ssfStreams.enqueue('stream-1', set('d'), T);
    await stores().ssfStreams.enqueue('stream-1', set('d'), T);
    const queued = await stores().ssfStreams.queued('stream-1', 10);
    expect(queued.map((each) => each.jti)).toEqual(['a', 'b', 'c', 'd']);
    expect(queued[0]!.claims).toEqual(set('a').claims);
    expect((await stores().ssfStreams.queued('stream-1', 2)).map((each) => each.jti)).toEqual(['a', 'b']);
    expect(await stores().ssfStreams.queuedCount('stream-1')).toBe(4);
    expect(await stores().ssfStreams.remove('stream-1', ['a', 'c', 'unknown'])).toBe(2);
    expect(await stores().ssfStreams.remove('stream-1', [])).toBe(0);
    expect((await stores().ssfStreams.queued('stream-1', 10)).map((each) => each.jti)).toEqual(['b', 'd']);
    expect(await stores().ssfStreams.advance('nope', 0, 1, [], T)).toBe(false);
  });

  it('finds enabled push streams with work that are not backing off', async () => {
    const push = { deliveryMethod: 'urn:ietf:rfc:8935', endpointUrl: 'https://rx.example/events' };
    await stores().ssfStreams.insert(stream({ id: 'behind', ...push, cursor: 1 }));
    await stores().ssfStreams.insert(stream({ id: 'queued', ...push, cursor: 9 }));
    await stores().ssfStreams.insert(stream({ id: 'idle', ...push, cursor: 9 }));
    await stores().ssfStreams.insert(stream({ id: 'paused', ...push, cursor: 1, status: 'paused' }));
    await stores().ssfStreams.insert(stream({ id: 'poll', cursor: 1 }));
    await stores().ssfStreams.insert(stream({ id: 'waiting', ...push, cursor: 1, pushFailures: 2, nextAttemptAt: T + 10 }));
    await stores().ssfStreams.enqueue('queued', set('q'), T);
    expect((await stores().ssfStreams.pushDue(9, T, 10)).map((each) => each.id).sort()).toEqual(['behind', 'queued']);
    expect((await stores().ssfStreams.pushDue(9, T + 10, 10)).map((each) => each.id).sort()).toEqual(['behind', 'queued', 'waiting']);
    expect(await stores().ssfStreams.pushDue(9, T, 1)).toHaveLength(1);
    await stores().ssfStreams.setPushState('waiting', 0, 0);
    expect(await stores().ssfStreams.find('waiting')).toMatchObject({ pushFailures: 0, nextAttemptAt: 0 });
  });

  it('leases a stream to one owner at a time, until it expires or is released', async () => {
    await stores().ssfStreams.insert(stream());
    expect(await stores().ssfStreams.claimLease('stream-1', 'a', T, T + 30)).toBe(true);
    expect(await stores().ssfStreams.claimLease('stream-1', 'b', T + 1, T + 31)).toBe(false);
    expect(await stores().ssfStreams.claimLease('stream-1', 'a', T + 1, T + 31)).toBe(true);
    expect(await stores().ssfStreams.claimLease('stream-1', 'b', T + 31, T + 61)).toBe(true);
    await stores().ssfStreams.releaseLease('stream-1', 'a');
    expect(await stores().ssfStreams.claimLease('stream-1', 'a', T + 32, T + 62)).toBe(false);
    await stores().ssfStreams.releaseLease('stream-1', 'b');
    expect(await stores().ssfStreams.claimLease('stream-1', 'a', T + 32, T + 62)).toBe(true);
    expect(await stores().ssfStreams.claimLease('nope', 'a', T, T + 30)).toBe(false);
  });
}
