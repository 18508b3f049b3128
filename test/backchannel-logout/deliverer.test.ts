/**
 * The deliverer (src/backchannel-logout/deliverer.ts) on a real database and real keys, with the
 * POST replaced so that the test decides each answer and the clock moves only when the test moves
 * it: failures follow the back-off schedule to the end and are given up with an audit line; no
 * more POSTs are in flight than the concurrency limit; a delivery older than the maximum age is
 * given up without a POST; every outcome is counted; a database outage is one warning, not one
 * per poll.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent, AuditLog } from '../../src/audit/audit-log.js';
import { LogoutDeliverer } from '../../src/backchannel-logout/deliverer.js';
import type { LogoutSender, SendOutcome } from '../../src/backchannel-logout/sender.js';
import type { BackchannelLogoutConfig } from '../../src/config.js';
import type { LogoutDeliveryOutcome } from '../../src/metrics/metrics.js';
import { createClient } from '../../src/clients/registry.js';
import { createTestDeps, type Closable } from '../helpers/deps.js';
import type { Deps } from '../../src/deps.js';
import { eventually } from '../helpers/eventually.js';
import { createPerson, createSession } from '../helpers/refresh.js';
import { movableClock } from '../helpers/people.js';

const LOGOUT_URI = 'https://rp.example.com/backchannel-logout';

let clock: ReturnType<typeof movableClock>;
let deps: Closable<Deps>;
let deliverer: LogoutDeliverer | undefined;
let events: AuditEvent[];
let outcomes: LogoutDeliveryOutcome[];
let clientId: string;

beforeEach(async () => {
  // Stands still until the test moves it: the schedule is checked to the second.
  clock = movableClock();
  deps = await createTestDeps({ clock });
  events = [];
  outcomes = [];
  ({
    client: { clientId },
  } = await createClient({ clients: deps.stores.clients, clock }, {
    name: 'rp',
    grantTypes: ['authorization_code'],
    redirectUris: ['https://rp.example.com/cb'],
    backchannelLogoutUri: LOGOUT_URI,
  }));
});
afterEach(async () => {
  await deliverer?.stop();
  deliverer = undefined;
  await deps.close();
});

/** `count` sessions of one person that signed in to the client, ended: `count` deliveries queued. */
async function queueLogouts(count: number): Promise<string[]> {
  const person = await createPerson({ deps });
  const sids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const sid = await createSession({ deps }, person);
    await deps.stores.sessionClients.record(sid, clientId, clock.nowSeconds());
    sids.push(sid);
  }
  await deps.revoker.endUser(person.id, { kind: 'logged-out-everywhere', initiatedBy: 'admin' });
  return sids;
}

function start(send: LogoutSender, config: Partial<BackchannelLogoutConfig> = {}): LogoutDeliverer {
  const audit: AuditLog = { record: (event) => void events.push(event) };
  deliverer = new LogoutDeliverer({
    store: deps.stores.logoutDeliveries,
    clients: deps.stores.clients,
    tokens: { keyring: deps.keyring, clock, issuer: deps.config.issuer },
    config: { ...deps.config.backchannelLogout, ...config },
    audit,
    metrics: { logoutDelivery: (outcome) => void outcomes.push(outcome) },
    log: deps.log,
    send,
    pollIntervalMs: 20,
  });
  deliverer.start();
  return deliverer;
}

describe('the deliverer', () => {
  it('retries a failing receiver on the schedule, then gives the delivery up with an audit line', async () => {
    const [sid] = await queueLogouts(1);
    const attemptsAt: number[] = [];
    start(async () => {
      attemptsAt.push(clock.nowSeconds());
      return { ok: false, error: 'answered 500' };
    }, { retrySeconds: [5, 30] });
    const t0 = clock.nowSeconds();
    await eventually(() => attemptsAt.length === 1 && outcomes.length === 1, 5000);
    clock.advance(4);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(attemptsAt).toHaveLength(1);
    clock.advance(1);
    await eventually(() => outcomes.length === 2, 5000);
    clock.advance(30);
    await eventually(() => outcomes.length === 3, 5000);
    expect(attemptsAt.map((at) => at - t0)).toEqual([0, 5, 35]);
    expect(outcomes).toEqual(['retried', 'retried', 'abandoned']);
    const fields = { client_id: clientId, sid, sub: expect.any(String) };
    expect(events).toEqual([
      { event: 'backchannel_logout.failed', ...fields, attempts: 1, error: 'answered 500', retry_in_seconds: 5 },
      { event: 'backchannel_logout.failed', ...fields, attempts: 2, error: 'answered 500', retry_in_seconds: 30 },
      { event: 'backchannel_logout.abandoned', ...fields, attempts: 3, error: 'answered 500' },
    ]);
    expect(await deps.stores.logoutDeliveries.depth()).toBe(0);
  });

  it('never has more POSTs in flight than the concurrency limit, and delivers them all', async () => {
    await queueLogouts(7);
    let inFlight = 0;
    let most = 0;
    const waiting: (() => void)[] = [];
    start(
      () =>
        new Promise<SendOutcome>((resolve) => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          waiting.push(() => {
            inFlight -= 1;
            resolve({ ok: true, status: 200 });
          });
        }),
      { concurrency: 3 },
    );
    let released = 0;
    while (released < 7) {
      await eventually(() => waiting.length > 0, 5000);
      // Give the deliverer time to claim more than it may, were it to try.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(inFlight).toBeLessThanOrEqual(3);
      waiting.shift()!();
      released += 1;
    }
    await eventually(() => outcomes.length === 7, 5000);
    expect(most).toBe(3);
    expect(outcomes).toEqual(Array(7).fill('delivered'));
    expect(events.map((event) => event.event)).toEqual(Array(7).fill('backchannel_logout.delivered'));
    expect(await deps.stores.logoutDeliveries.depth()).toBe(0);
  });

  it('warns once while claims fail (the database is away), and once when they work again', async () => {
    await queueLogouts(1);
    let failures = 5;
    const warnings: string[] = [];
    deliverer = new LogoutDeliverer({
      store: {
        ...deps.stores.logoutDeliveries,
        claim: async (...args) => {
          if (failures > 0) {
            failures -= 1;
            throw new Error('the database is away');
          }
          return deps.stores.logoutDeliveries.claim(...args);
        },
      },
      clients: deps.stores.clients,
      tokens: { keyring: deps.keyring, clock, issuer: deps.config.issuer },
      config: deps.config.backchannelLogout,
      audit: { record: (event) => void events.push(event) },
      log: { warn: (details: { event: string }) => void warnings.push(details.event) },
      send: async () => ({ ok: true, status: 200 }),
      pollIntervalMs: 10,
    });
    deliverer.start();
    await eventually(() => events.length === 1, 5000);
    expect(events[0]).toMatchObject({ event: 'backchannel_logout.delivered', client_id: clientId });
    expect(warnings).toEqual(['backchannel_logout.claim_failed', 'backchannel_logout.claiming_again']);
  });

  it('gives up a delivery older than the maximum age without sending it', async () => {
    await queueLogouts(1);
    clock.advance(601);
    let sent = 0;
    start(async () => {
      sent += 1;
      return { ok: true, status: 200 };
    }, { maxAgeSeconds: 600 });
    await eventually(() => outcomes.length === 1, 5000);
    expect(sent).toBe(0);
    expect(outcomes).toEqual(['abandoned']);
    expect(events[0]).toMatchObject({ event: 'backchannel_logout.abandoned', client_id: clientId, attempts: 1, error: 'older than BACKCHANNEL_LOGOUT_MAX_AGE (600 s)' });
  });
});
