/**
 * Changes made on one worker of `npm start` (WORKERS=2) reach the other through the change sockets
 * beside the SQLite file (src/storage/knex/socket-bus.ts), like the CLI's: an RFC 7009 revocation
 * answered by one worker is pushed to feed subscribers on both (and to the verifier SDK), and
 * introspection on either answers `active: false` as soon as the revocation's 200 came; `tokens
 * revoke --email` and `users disable` by the CLI reach both workers' subscribers. (Each worker's
 * 250 ms revocation poll would also deliver within the bound, which a server process offers no way
 * to lengthen: these prove the delivery to every worker, not its path; sqlite-processes.test.ts
 * proves the socket with the polls lengthened.) And one schedule
 * per machine: the scheduled key rotations are made by slot 0 alone, once each, and both workers
 * then sign with the new key, which the JWKS publishes; when slot 0's process dies, its
 * replacement takes the schedule over.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { createVerifier, type Verifier, type VerifierError } from '@inkan/verifier';
import { basicAuth, type RegisteredClient } from '../../helpers/clients.js';
import { eventually } from '../../helpers/eventually.js';
import { createUser, HttpBrowser, openidCodeFlow } from '../../helpers/people.js';
import { recordTokenResponse } from '../../helpers/secrets.js';
import { killServerProcesses } from '../../helpers/server-process.js';
import { answeredBy, childPids, createClient, freshRequest, freshToken, linesOf, requestId, startWorkers, subscribeOnEveryWorker, type FeedSubscriber, type Workers } from './workers.js';

afterAll(() => killServerProcesses());

/** Generous: the push takes milliseconds; a loaded 2-core machine may take much longer. */
const PUSHED_WITHIN_MS = 5000;

describe('revocations across two workers', () => {
  let workers: Workers;
  let reader: RegisteredClient;
  let service: RegisteredClient;
  let app: RegisteredClient;
  let verifier: Verifier;
  const subscribers: FeedSubscriber[] = [];

  beforeAll(async () => {
    workers = await startWorkers();
    reader = await createClient(workers, ['--name', 'resource-server', '--scope', 'revocations:read']);
    service = await createClient(workers, ['--name', 'service']);
    app = await createClient(workers, ['--name', 'app', '--grant-types', 'authorization_code,refresh_token', '--redirect-uris', 'https://app.example.com/cb', '--scope', 'openid email api']);
    verifier = createVerifier({ issuer: workers.server.issuer, audience: workers.server.issuer, clientId: reader.client_id, clientSecret: reader.client_secret!, logger: { warn: () => {} } });
    await verifier.ready();
    // One after the other on fresh connections: node:cluster deals them to the workers in turn.
    subscribers.push(...(await subscribeOnEveryWorker(workers, reader, 4)));
  }, 120_000);
  afterAll(async () => {
    for (const subscriber of subscribers) subscriber.close();
    await verifier?.close();
  });

  /** Every subscriber has received, after its `ready`, an event whose SET names `value`. */
  const everySubscriberHeardOf = (value: string) =>
    subscribers.every((subscriber) => {
      const ready = subscriber.events.findIndex((event) => event.type === 'ready');
      return subscriber.events.slice(ready + 1).some((event) => event.type === 'revocation' && JSON.stringify(decodeJwt(event.data)).includes(value));
    });
  const rejection = (token: string) => verifier.verify(token).then(() => undefined, (error: unknown) => (error as VerifierError).code);

  /** Introspection of `token` by its client on `count` fresh connections; resolves their request ids by answer. */
  const introspections = async (client: RegisteredClient, token: string, count: number) => {
    const answers = await Promise.all(
      Array.from({ length: count }, async () => {
        const id = requestId();
        const answer = await freshRequest(`${workers.server.issuer}/introspect`, {
          method: 'POST',
          headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': id },
          body: new URLSearchParams({ token }).toString(),
        });
        expect(answer.status).toBe(200);
        return { id, active: (JSON.parse(answer.body) as { active: boolean }).active };
      }),
    );
    return answers;
  };

  it('pushes an RFC 7009 revocation answered by one worker to the subscribers of both; introspection on both says inactive at once', { timeout: 60_000 }, async () => {
    const issued = await freshToken(workers.server.issuer, service);
    const token = issued.accessToken!;
    const { jti } = decodeJwt(token) as { jti: string };
    expect((await verifier.verify(token)).client_id).toBe(service.client_id);
    expect((await introspections(service, token, 2)).map((answer) => answer.active)).toEqual([true, true]);

    const revocationId = requestId();
    const revoked = await freshRequest(`${workers.server.issuer}/revoke`, {
      method: 'POST',
      headers: { authorization: basicAuth(service), 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': revocationId },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(revoked.status).toBe(200);
    // Introspection reads the revocations fresh: inactive on every worker the moment the 200 came.
    const after = await introspections(service, token, 6);
    expect(after.map((answer) => answer.active)).toEqual(Array(6).fill(false));
    const introspectedBy = await answeredBy(workers.server, after.map((answer) => answer.id));
    expect(new Set(introspectedBy.values())).toEqual(new Set([0, 1]));

    await eventually(() => everySubscriberHeardOf(jti), PUSHED_WITHIN_MS);
    await eventually(async () => (await rejection(token)) === 'ERR_TOKEN_REVOKED', PUSHED_WITHIN_MS);
    // The revocation was answered by one worker; subscribers on the other heard of it too.
    const revokedBy = (await answeredBy(workers.server, [revocationId])).get(revocationId)!;
    const feedSlots = await answeredBy(workers.server, subscribers.map((subscriber) => subscriber.requestId));
    expect([...feedSlots.values()]).toContain(1 - revokedBy);
  });

  for (const command of [['tokens', 'revoke'], ['users', 'disable']] as const) {
    it(`pushes a \`${command.join(' ')} --email\` by the CLI to the subscribers of both workers`, { timeout: 60_000 }, async () => {
      const email = `${crypto.randomUUID()}@example.com`;
      const password = `pw-${crypto.randomUUID()}`;
      const person = await createUser(workers.server, email, password);
      const config = await oidc.discovery(new URL(workers.server.issuer), app.client_id, undefined, oidc.ClientSecretBasic(app.client_secret!), { execute: [oidc.allowInsecureRequests] });
      const tokens = await openidCodeFlow(config, new HttpBrowser(workers.server.issuer), { redirectUri: 'https://app.example.com/cb', scope: 'openid api', email, password });
      recordTokenResponse(tokens);
      expect((await verifier.verify(tokens.access_token)).sub).toBe(person.id);

      const result = await workers.server.cli([...command, '--email', email]);
      expect(result.code, result.stderr).toBe(0);
      await eventually(() => everySubscriberHeardOf(person.id) || everySubscriberHeardOf(decodeJwt(tokens.access_token).sid as string), PUSHED_WITHIN_MS);
      await eventually(async () => (await rejection(tokens.access_token)) === 'ERR_TOKEN_REVOKED', PUSHED_WITHIN_MS);
      expect((await introspections(app, tokens.access_token, 4)).map((answer) => answer.active)).toEqual(Array(4).fill(false));
    });
  }
});

describe('one schedule per machine', () => {
  const INTERVAL = 8;
  let workers: Workers;
  let client: RegisteredClient;

  beforeAll(async () => {
    workers = await startWorkers({ KEY_ROTATION_INTERVAL: String(INTERVAL), JWKS_MAX_AGE: '1' });
    await eventually(() => linesOf(workers.server, 'cluster.started').length === 1, 10_000, 100);
    client = await createClient(workers, ['--name', 'ed-client', '--alg', 'EdDSA']);
  }, 90_000);

  /** The scheduled rotations so far (the first keys, made at start-up, have no predecessor). */
  const scheduledRotations = (alg: string) => linesOf(workers.server, 'key.rotated').filter((line) => line.actor === 'system' && line.alg === alg && line.previous_kid !== null);

  it('rotates on slot 0 only, once per rotation, and both workers then sign with the new key', { timeout: 120_000 }, async () => {
    const jwks = createRemoteJWKSet(new URL(`${workers.server.issuer}/jwks`));
    const followed: string[] = [];
    while (followed.length < 2) {
      // The latest scheduled rotation not followed yet (one comes every INTERVAL seconds).
      await eventually(() => scheduledRotations('EdDSA').some((line) => !followed.includes(line.kid as string)), INTERVAL * 1000 * 3, 100);
      // Tokens from either worker carry the newly active kid (the other worker reloads its
      // keyring on the change socket's notification, or at its poll); should the next rotation
      // come meanwhile, its kid is the one expected.
      await eventually(
        async () => {
          const kid = scheduledRotations('EdDSA').at(-1)!.kid as string;
          const issued = [];
          for (let i = 0; i < 4; i += 1) issued.push(await freshToken(workers.server.issuer, client));
          if (!issued.every((each) => decodeProtectedHeader(each.accessToken!).kid === kid)) return false;
          const slots = await answeredBy(workers.server, issued.map((each) => each.requestId));
          expect(new Set(slots.values())).toEqual(new Set([0, 1]));
          for (const each of issued) {
            const { payload } = await jwtVerify(each.accessToken!, jwks, { issuer: workers.server.issuer, typ: 'at+jwt' });
            expect(payload.client_id).toBe(client.client_id);
          }
          const published = (await (await fetch(`${workers.server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
          expect(published.keys.map((key) => key.kid)).toContain(kid);
          followed.push(kid);
          return true;
        },
        5000,
        100,
      );
    }

    const rotations = linesOf(workers.server, 'key.rotated').filter((line) => line.actor === 'system');
    expect(rotations.length).toBeGreaterThanOrEqual(2);
    // Made by the scheduling worker, slot 0: every rotation, and every scheduled key change.
    expect(new Set(rotations.map((line) => line.worker))).toEqual(new Set([0]));
    expect(new Set(linesOf(workers.server, 'keys.scheduled_change').map((line) => line.worker))).toEqual(new Set([0]));
    // Once each: no key became active twice.
    const kids = rotations.map((line) => line.kid);
    expect(new Set(kids).size).toBe(kids.length);
    // The other worker only follows: it reloads the keys.
    expect(linesOf(workers.server, 'keys.reloaded').some((line) => line.worker === 1)).toBe(true);
  });

  it('hands the schedule to the replacement of slot 0 when that worker dies', { timeout: 180_000 }, async () => {
    // Kill a worker at a time until the one of slot 0 has died (the log names the slot of each death).
    for (;;) {
      const deaths = linesOf(workers.server, 'cluster.worker_exited').length;
      const victim = childPids(workers.server.pid)[0]!;
      process.kill(victim, 'SIGKILL');
      // No request before the primary has reaped it (see workers.test.ts: node:cluster's round-robin).
      await eventually(() => !childPids(workers.server.pid).includes(victim), 20_000, 5);
      await eventually(async () => (await freshRequest(`${workers.server.issuer}/readyz`)).status === 200, 60_000, 50);
      await eventually(() => linesOf(workers.server, 'cluster.worker_exited').length > deaths, 10_000, 100);
      if (linesOf(workers.server, 'cluster.worker_exited').at(-1)!.slot === 0) break;
    }
    await eventually(() => linesOf(workers.server, 'cluster.worker_restarted').some((line) => line.slot === 0), 10_000, 100);
    const replacedAt = linesOf(workers.server, 'cluster.worker_restarted').filter((line) => line.slot === 0).at(-1)!.time as number;
    // The rotations go on, made by slot 0's new process.
    await eventually(() => scheduledRotations('EdDSA').some((line) => (line.time as number) > replacedAt), INTERVAL * 1000 * 3, 100);
    const rotations = linesOf(workers.server, 'key.rotated').filter((line) => line.actor === 'system');
    expect(new Set(rotations.map((line) => line.worker))).toEqual(new Set([0]));
    expect(new Set(linesOf(workers.server, 'keys.scheduled_change').map((line) => line.worker))).toEqual(new Set([0]));
    const kids = rotations.map((line) => line.kid);
    expect(new Set(kids).size).toBe(kids.length);
  });
});
