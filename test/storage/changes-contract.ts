/**
 * Storage contract section for the change notifier (src/storage/changes.ts): what a subscriber
 * hears, from its own process always and from other processes where the engine pushes changes
 * (PostgreSQL by LISTEN/NOTIFY, SQLite by the change sockets beside its file); that the key, revocation and logout-delivery stores announce what they commit, and only that; and
 * that one failing listener never keeps the others from hearing.
 */
import { expect, it } from 'vitest';
import type { ChangeChannel } from '../../src/storage/changes.js';
import type { Stores } from '../../src/storage/stores.js';
import { eventually } from '../helpers/eventually.js';
import type { CurrentStores, EngineTraits } from './contract.js';
import { clientRecord } from './clients-contract.js';

const T = 1_700_000_000;

const quietMs = 200;
const quiet = () => new Promise((resolve) => setTimeout(resolve, quietMs));

/**
 * Subscribes to `channel` and returns what it hears. Where changes are pushed and the process was
 * not listening yet, it first waits for the LISTEN connection, whose (re)connect announces every
 * channel as changed (`undefined`: whatever happened before is unknown), and forgets that
 * announcement.
 */
async function listen(stores: Stores, channel: ChangeChannel, traits: EngineTraits): Promise<{ received: (string | undefined)[]; stop: () => void }> {
  const received: (string | undefined)[] = [];
  const wasListening = stores.changes.pushing;
  const stop = stores.changes.subscribe(channel, (payload) => received.push(payload));
  if (traits.pushesChanges && !wasListening) {
    await eventually(() => stores.changes.pushing, 5000);
    await eventually(() => received.length === 1, 1000);
    expect(received[0]).toBeUndefined();
    received.length = 0;
  } else {
    expect(stores.changes.pushing).toBe(traits.pushesChanges);
  }
  return { received, stop };
}

export function changeNotifierContract(stores: CurrentStores, traits: EngineTraits): void {
  it('announces a committed key change with its version, and nothing for a compare-and-set that lost', async () => {
    const publisher = stores();
    const { received, stop } = await listen(publisher, 'keys', traits);
    const version = await publisher.keys.version();
    expect(await publisher.keys.apply(version + 5, { upsert: [], remove: [] })).toBe(false);
    expect(await publisher.keys.apply(version, { upsert: [], remove: [] })).toBe(true);
    await eventually(() => received.length >= 1, 1000);
    expect(received).toEqual([String(version + 1)]);

    await publisher.changes.publish('revocations', '42');
    stop();
    await publisher.keys.apply(version + 1, { upsert: [], remove: [] });
    await quiet();
    expect(received).toEqual([String(version + 1)]);
  });

  it('announces a committed revocation record with its id', async () => {
    const { received } = await listen(stores(), 'revocations', traits);
    const record = await stores().revocations.add({ kind: 'jti', jti: 'announced' }, 1_700_000_000, 1_700_000_900);
    await eventually(() => received.length >= 1, 1000);
    expect(received).toEqual([String(record.id)]);
  });

  it('announces queued back-channel logouts (to another process where the engine pushes changes), and nothing when none was queued', async () => {
    const publisher = stores();
    const other = await stores.peer();
    const { received: own } = await listen(publisher, 'logouts', traits);
    const { received: peer } = await listen(other, 'logouts', traits);
    const client = clientRecord({ backchannelLogoutUri: 'https://rp.example.com/bcl' });
    await publisher.clients.insert(client);
    await publisher.users.insert({ id: 'user-1', email: 'one@example.com', name: null, passwordHash: 'x', disabledAt: null, createdAt: T });
    await publisher.sessions.insert({ id: 'session-1', secretHash: 'a'.repeat(64), userId: 'user-1', authTime: T, authMethods: ['pwd'], createdAt: T, expiresAt: T + 60, endedAt: null });
    await publisher.sessions.insert({ id: 'session-2', secretHash: 'b'.repeat(64), userId: 'user-1', authTime: T, authMethods: ['pwd'], createdAt: T, expiresAt: T + 60, endedAt: null });
    await publisher.sessionClients.record('session-1', client.clientId, T);
    await publisher.logoutDeliveries.enqueueForSessions(['session-2'], T, 100);
    await quiet();
    expect(own).toEqual([]);
    await publisher.logoutDeliveries.enqueueForSessions(['session-1'], T, 100);
    await eventually(() => own.length >= 1, 1000);
    if (traits.pushesChanges) await eventually(() => peer.length >= 1, 1000);
    await quiet();
    expect(own).toEqual([undefined]);
    expect(peer).toEqual(traits.pushesChanges ? [undefined] : []);
  });

  it('announces a removed client with its client_id (to another process where the engine pushes changes), and nothing for an unknown one', async () => {
    const publisher = stores();
    const other = await stores.peer();
    const { received: own } = await listen(publisher, 'clients', traits);
    const { received: peer } = await listen(other, 'clients', traits);
    const client = clientRecord();
    await publisher.clients.insert(client);
    expect(await publisher.clients.delete('no-such-client')).toBe(false);
    expect(await publisher.clients.delete(client.clientId)).toBe(true);
    await eventually(() => own.length >= 1, 1000);
    if (traits.pushesChanges) await eventually(() => peer.length >= 1, 1000);
    await quiet();
    expect(own).toEqual([client.clientId]);
    expect(peer).toEqual(traits.pushesChanges ? [client.clientId] : []);
  });

  it('delivers a payload to every subscriber of its channel only, even when one of them throws', async () => {
    const failing = stores().changes.subscribe('revocations', () => {
      throw new Error('a failing cache');
    });
    const { received } = await listen(stores(), 'revocations', traits);
    const { received: otherChannel } = await listen(stores(), 'keys', traits);
    await stores().changes.publish('revocations', 'p-1');
    await stores().changes.publish('revocations');
    await eventually(() => received.length >= 2, 1000);
    await quiet();
    expect(received).toEqual(['p-1', undefined]);
    expect(otherChannel).toEqual([]);
    failing();
  });

  it("tells another process of a change where the engine pushes changes, and never otherwise", async () => {
    const other = await stores.peer();
    const { received } = await listen(other, 'keys', traits);
    expect(await stores().keys.apply(0, { upsert: [], remove: [] })).toBe(true);
    await stores().changes.publish('keys', 'by hand');
    if (traits.pushesChanges) await eventually(() => received.length >= 2, 1000);
    await quiet();
    expect(received).toEqual(traits.pushesChanges ? ['1', 'by hand'] : []);
  });
}
