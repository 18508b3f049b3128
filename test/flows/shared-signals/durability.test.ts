/**
 * Shared Signals delivery that survives a crash and shares out between processes. A server with a
 * push stream (whose receiver keeps failing) and a poll stream (one SET acknowledged) is
 * SIGKILLed; the CLI revokes another person while no server runs; a new server on the same
 * database pushes every SET not yet delivered, the ones from before the crash included, and the
 * poll stream returns what was not acknowledged and never what was. Then two servers run on one
 * database: each SET reaches the receiver exactly once (one process pushes a stream at a time).
 * On SQLite and PostgreSQL.
 */
import crypto from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testEnv } from '../../helpers/inkan.js';
import { createDatabase, freePort } from '../../helpers/postgres-server.js';
import { killServerProcesses, startServerProcess } from '../../helpers/server-process.js';
import { eventually } from '../../helpers/eventually.js';
import { createUser } from '../../helpers/people.js';
import { PUSH, pushEndpoint, receiver, SESSION_REVOKED } from './support.js';

afterAll(() => killServerProcesses());

const serverUrl = inject('postgresUrl');
const engines: Array<[string, () => Promise<Record<string, string>>]> = [['SQLite', async () => ({})]];
if (serverUrl !== '' || process.env.CI === 'true') {
  engines.push(['PostgreSQL', async () => ({ DATABASE_URL: await createDatabase(serverUrl, `ssf_${crypto.randomBytes(6).toString('hex')}`) })]);
}

describe.each(engines)('%s', (_engine, databaseEnv) => {
  it('loses nothing across a SIGKILL and never returns an acknowledged SET again', { timeout: 120_000 }, async () => {
    const { dir, env: base } = testEnv(await databaseEnv());
    const port = await freePort();
    const env = { ...base, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' };
    let server = await startServerProcess(dir, env);
    const rx = await receiver(server);
    const endpoint = await pushEndpoint();
    try {
      endpoint.failNext(1_000_000);
      const push = await rx.call('POST', rx.config.configuration_endpoint, { delivery: { method: PUSH, endpoint_url: endpoint.url }, events_requested: [SESSION_REVOKED] });
      const poll = await rx.call('POST', rx.config.configuration_endpoint, { events_requested: [SESSION_REVOKED] });
      expect([push.status, poll.status]).toEqual([201, 201]);
      const pollUrl = (poll.body as { delivery: { endpoint_url: string } }).delivery.endpoint_url;
      const people = [];
      for (const name of ['one', 'two']) {
        const person = await createUser(server, `durable-ssf-${name}@example.com`, 'a long password 1');
        people.push(person);
        expect((await server.cli(['tokens', 'revoke', '--email', person.email])).code).toBe(0);
      }
      // The receiver fails: the push is being retried.
      await eventually(() => endpoint.received.length >= 2, 15_000);
      // The poll stream: both SETs; the first one acknowledged.
      const first = (await rx.call('POST', pollUrl, { returnImmediately: true })).body as { sets: Record<string, string> };
      const polled = await Promise.all(Object.entries(first.sets).map(async ([jti, jwt]) => ({ jti, set: await rx.verify(jwt, rx.client.client_id) })));
      expect(polled.map(({ set }) => set.claims.sub_id?.sub)).toEqual(people.map((person) => person.id));
      expect((await rx.call('POST', pollUrl, { maxEvents: 0, ack: [polled[0]!.jti] })).status).toBe(200);

      await server.kill('SIGKILL');
      const third = await createUser(server, 'durable-ssf-three@example.com', 'a long password 1');
      people.push(third);
      expect((await server.cli(['tokens', 'revoke', '--email', third.email])).code).toBe(0);
      endpoint.failNext(0);
      server = await startServerProcess(dir, env);

      // Push: every person's session-revoked arrives, once each.
      const delivered = async () => {
        const subs = [];
        for (const request of endpoint.received.filter((each) => each.status === 202)) subs.push((await rx.verify(request.body, rx.client.client_id)).claims.sub_id?.sub);
        return subs;
      };
      await eventually(async () => (await delivered()).length === 3, 20_000);
      expect(await delivered()).toEqual(people.map((person) => person.id));
      // Poll: the unacknowledged one from before the crash and the new one, never the acknowledged one.
      const after = (await rx.call('POST', pollUrl, { returnImmediately: true })).body as { sets: Record<string, string> };
      expect(Object.keys(after.sets)).not.toContain(polled[0]!.jti);
      expect(Object.keys(after.sets)[0]).toBe(polled[1]!.jti);
      const subs = await Promise.all(Object.values(after.sets).map(async (jwt) => (await rx.verify(jwt, rx.client.client_id)).claims.sub_id?.sub));
      expect(subs).toEqual([people[1]!.id, third.id]);
    } finally {
      await endpoint.close();
      await server.kill('SIGTERM');
    }
  });

  it('pushes each SET once when two servers share the database', { timeout: 120_000 }, async () => {
    const { dir, env: base } = testEnv(await databaseEnv());
    const [portA, portB] = [await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${portA}`;
    const env = { ...base, HOST: '127.0.0.1', ISSUER: issuer, LOG_LEVEL: 'warn' };
    const a = await startServerProcess(dir, { ...env, PORT: String(portA) });
    const b = await startServerProcess(dir, { ...env, PORT: String(portB) });
    const rx = await receiver(a);
    const endpoint = await pushEndpoint();
    try {
      const created = await rx.call('POST', rx.config.configuration_endpoint, { delivery: { method: PUSH, endpoint_url: endpoint.url }, events_requested: [SESSION_REVOKED] });
      expect(created.status).toBe(201);
      const ids = [];
      for (let i = 0; i < 4; i += 1) {
        const person = await createUser(a, `shared-ssf-${i}@example.com`, 'a long password 1');
        ids.push(person.id);
        expect((await b.cli(['tokens', 'revoke', '--email', person.email])).code).toBe(0);
      }
      await eventually(() => endpoint.received.length >= 4, 20_000);
      // A duplicate would come within a push round or two: give both workers time to make one.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const sets = await Promise.all(endpoint.received.map(async (request) => (await rx.verify(request.body, rx.client.client_id)).claims));
      expect(new Set(sets.map((claims) => claims.jti)).size).toBe(sets.length);
      expect(sets.map((claims) => claims.sub_id?.sub)).toEqual(ids);
    } finally {
      await endpoint.close();
      await Promise.all([a.kill('SIGTERM'), b.kill('SIGTERM')]);
    }
  });
});
