/**
 * `npm start` with WORKERS=2 on PostgreSQL (a fresh database in the global setup's server): both
 * workers issue tokens that verify with the JWKS, and an RFC 7009 revocation answered by one worker
 * reaches the feed subscribers of both, while introspection on either says inactive as soon as the
 * revocation's 200 came. (Between workers on PostgreSQL it travels by LISTEN/NOTIFY; each worker's
 * 250 ms revocation poll would also deliver it within the bound, so this proves the delivery, not
 * its path: test/flows/scale/cluster.test.ts proves NOTIFY with the polls lengthened.)
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { basicAuth, type RegisteredClient } from '../../helpers/clients.js';
import { eventually } from '../../helpers/eventually.js';
import { createDatabase } from '../../helpers/postgres-server.js';
import { killServerProcesses } from '../../helpers/server-process.js';
import { answeredBy, createClient, freshRequest, freshToken, requestId, startWorkers, subscribeOnEveryWorker, type FeedSubscriber, type Workers } from './workers.js';

const serverUrl = inject('postgresUrl');
const unavailable = serverUrl === '' && process.env.CI !== 'true';
if (unavailable) console.warn('\n!! PostgreSQL is not available: test/flows/scale/workers-postgres.test.ts is SKIPPED (it always runs in CI)\n');

describe.skipIf(unavailable)('two workers on PostgreSQL', () => {
  let workers: Workers;
  let reader: RegisteredClient;
  let service: RegisteredClient;
  const subscribers: FeedSubscriber[] = [];

  beforeAll(async () => {
    if (serverUrl === '') throw new Error('PostgreSQL did not start (global setup), and CI requires it');
    const url = await createDatabase(serverUrl, `workers_${crypto.randomBytes(6).toString('hex')}`);
    workers = await startWorkers({ DATABASE_URL: url });
    reader = await createClient(workers, ['--name', 'resource-server', '--scope', 'revocations:read']);
    service = await createClient(workers, ['--name', 'service']);
    // One after the other on fresh connections: node:cluster deals them to the workers in turn.
    subscribers.push(...(await subscribeOnEveryWorker(workers, reader, 2)));
  }, 120_000);
  afterAll(() => {
    for (const subscriber of subscribers) subscriber.close();
    killServerProcesses();
  });

  it('issues tokens on both workers that verify with the JWKS', { timeout: 60_000 }, async () => {
    const jwks = createRemoteJWKSet(new URL(`${workers.server.issuer}/jwks`));
    const issued = [];
    for (let i = 0; i < 6; i += 1) issued.push(await freshToken(workers.server.issuer, service));
    expect(issued.map((each) => each.status)).toEqual(Array(6).fill(200));
    expect(new Set((await answeredBy(workers.server, issued.map((each) => each.requestId))).values())).toEqual(new Set([0, 1]));
    for (const each of issued) {
      const { payload } = await jwtVerify(each.accessToken!, jwks, { issuer: workers.server.issuer, typ: 'at+jwt' });
      expect(payload.client_id).toBe(service.client_id);
    }
  });

  it('pushes a revocation answered by one worker to the subscribers of both; introspection on both says inactive at once', { timeout: 60_000 }, async () => {
    const token = (await freshToken(workers.server.issuer, service)).accessToken!;
    const { jti } = decodeJwt(token) as { jti: string };
    const form = (id: string) => ({
      method: 'POST',
      headers: { authorization: basicAuth(service), 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': id },
      body: new URLSearchParams({ token }).toString(),
    });
    expect((await freshRequest(`${workers.server.issuer}/revoke`, form(requestId()))).status).toBe(200);
    const ids = Array.from({ length: 4 }, requestId);
    for (const id of ids) {
      const answer = await freshRequest(`${workers.server.issuer}/introspect`, form(id));
      expect(JSON.parse(answer.body)).toEqual({ active: false });
    }
    expect(new Set((await answeredBy(workers.server, ids)).values())).toEqual(new Set([0, 1]));
    await eventually(
      () =>
        subscribers.every((subscriber) => {
          const ready = subscriber.events.findIndex((event) => event.type === 'ready');
          return subscriber.events.slice(ready + 1).some((event) => event.type === 'revocation' && JSON.stringify(decodeJwt(event.data)).includes(jti));
        }),
      5000,
    );
  });
});
