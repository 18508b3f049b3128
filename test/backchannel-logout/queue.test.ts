/**
 * What the revoker queues for back-channel logout (src/revocation/revoker.ts with
 * src/backchannel-logout/queue.ts), on a real database: one delivery per client the session
 * signed in to, once — ending a session that had already ended queues nothing more, nor does
 * ending a grant whose family had already ended, nor a session that signed in to no client with a
 * logout URI, nor a session that expires (its clients are forgotten with it when it is purged);
 * and beyond the per-client cap a delivery is dropped with an audit line and a metric.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-log.js';
import { LogoutQueue } from '../../src/backchannel-logout/queue.js';
import { createClient } from '../../src/clients/registry.js';
import type { Deps } from '../../src/deps.js';
import type { LogoutDeliveryOutcome } from '../../src/metrics/metrics.js';
import { purgeOnce, SESSION_RETENTION_SECONDS } from '../../src/housekeeping/purge.js';
import { createTestDeps, type Closable } from '../helpers/deps.js';
import { movableClock } from '../helpers/people.js';
import { createPerson, createSession } from '../helpers/refresh.js';

let deps: Closable<Deps>;
let clock: ReturnType<typeof movableClock>;

beforeEach(async () => {
  clock = movableClock();
  deps = await createTestDeps({ clock });
});
afterEach(async () => {
  await deps.close();
});

async function client(logoutUri?: string): Promise<string> {
  const created = await createClient(
    { clients: deps.stores.clients, clock: deps.clock },
    { name: 'rp', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: ['https://rp.example.com/cb'], ...(logoutUri === undefined ? {} : { backchannelLogoutUri: logoutUri }) },
  );
  return created.client.clientId;
}

async function signedInSession(...clientIds: string[]): Promise<{ sid: string; userId: string }> {
  const person = await createPerson({ deps });
  const sid = await createSession({ deps }, person);
  for (const clientId of clientIds) await deps.stores.sessionClients.record(sid, clientId, deps.clock.nowSeconds());
  return { sid, userId: person.id };
}

describe('the revoker queues back-channel logouts', () => {
  it('once per client with a logout URI when a session ends, and nothing when it ends again', async () => {
    const [a, b, none] = [await client('https://a.example.com/bcl'), await client('https://b.example.com/bcl'), await client()];
    const { sid } = await signedInSession(a, b, none);
    expect(await deps.revoker.endSession(sid)).toMatchObject({ sessionEnded: true });
    expect(await deps.stores.logoutDeliveries.depth()).toBe(2);
    expect(await deps.revoker.endSession(sid)).toMatchObject({ sessionEnded: false });
    expect(await deps.stores.logoutDeliveries.depth()).toBe(2);
  });

  it('nothing for a session that signed in to no client with a logout URI, nor for a person without live sessions', async () => {
    const { sid, userId } = await signedInSession(await client());
    await deps.revoker.endSession(sid);
    await deps.revoker.endUser(userId, { kind: 'logged-out-everywhere', initiatedBy: 'admin' });
    expect(await deps.stores.logoutDeliveries.depth()).toBe(0);
  });

  it("a grant's end queues one delivery to its client while its family is live, and none once it has ended", async () => {
    const id = await client('https://a.example.com/bcl');
    const record = (await deps.stores.clients.find(id))!;
    const person = await createPerson({ deps });
    const sid = await createSession({ deps }, person);
    await deps.refreshTokens.startFamily({ familyId: 'grant-1', client: record, userId: person.id, sessionId: sid, scopes: ['openid', 'offline_access'], authTime: deps.clock.nowSeconds() });
    expect(await deps.revoker.endGrant('grant-1')).toBe(true);
    expect(await deps.revoker.endGrant('grant-1')).toBe(false);
    const claimed = await deps.stores.logoutDeliveries.claim('t', deps.clock.nowSeconds(), deps.clock.nowSeconds() + 30, 10);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ clientId: id, sessionId: sid, sub: person.id });
  });

  it('nothing when a session expires and is purged: expiry is not a logout', async () => {
    const { sid } = await signedInSession(await client('https://a.example.com/bcl'));
    clock.advance(3600 + SESSION_RETENTION_SECONDS + 1);
    expect((await purgeOnce(deps)).sessions).toBe(1);
    expect(await deps.stores.sessionClients.clientsOf(sid)).toEqual([]);
    expect(await deps.stores.logoutDeliveries.depth()).toBe(0);
  });

  it('drops a delivery beyond the per-client cap, with an audit line and a metric, and keeps the others', async () => {
    const [busy, other] = [await client('https://busy.example.com/bcl'), await client('https://other.example.com/bcl')];
    const events: AuditEvent[] = [];
    const outcomes: LogoutDeliveryOutcome[] = [];
    const queue = new LogoutQueue({
      store: deps.stores.logoutDeliveries,
      clock: deps.clock,
      maxPendingPerClient: 1,
      audit: { record: (event) => void events.push(event) },
      metrics: { logoutDelivery: (outcome) => void outcomes.push(outcome) },
    });
    let woken = 0;
    queue.onQueued(() => (woken += 1));
    const first = await signedInSession(busy);
    const second = await signedInSession(busy, other);
    await queue.sessionsEnded([first.sid]);
    await queue.sessionsEnded([second.sid]);
    expect(await deps.stores.logoutDeliveries.pendingFor(busy)).toBe(1);
    expect(await deps.stores.logoutDeliveries.pendingFor(other)).toBe(1);
    expect(events).toEqual([{ event: 'backchannel_logout.dropped', client_id: busy, sid: second.sid, max_pending_per_client: 1 }]);
    expect(outcomes).toEqual(['dropped']);
    expect(woken).toBe(2);
  });
});
