/**
 * PostgreSQL stopped and started again under two running instances (a PostgreSQL of this file's
 * own, so the other suites never see the outage): while it is down both report /readyz 503 and
 * refuse token requests with a server error (never an answer that loses state); an instance
 * started during the outage waits for the database; once it is back every instance is ready
 * again, keeps issuing tokens, picks its LISTEN connection up again (a key rotation on A reaches
 * B without B's poll), and the refresh token rotated before the outage is still the live one: no
 * rotation was lost, and its use on the other instance is no replay.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createDatabase } from '../../helpers/postgres-server.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import type { TestServer } from '../../helpers/inkan.js';
import { registerApp, startFamily, type AppClient } from '../../helpers/refresh.js';
import { startRestartablePostgres, type RestartablePostgres } from './restartable-postgres.js';
import {
  CLUSTER_ISSUER,
  clientCredentialsToken,
  clusterEnv,
  endpointOf,
  jwksKids,
  postForm,
  readyStatus,
  startInstance,
  type ClusterEnv,
} from './cluster.js';
import { eventually } from '../../helpers/eventually.js';

// Uses the global setup only to know whether PostgreSQL can run here at all.
const available = inject('postgresUrl') !== '' || process.env.CI === 'true';
if (!available) console.warn('\n!! PostgreSQL is not available: test/flows/scale/outage.test.ts is SKIPPED (it always runs in CI)\n');

describe.skipIf(!available)('a PostgreSQL outage under two instances', () => {
  let postgres: RestartablePostgres;
  let cluster: ClusterEnv;
  let a: TestServer;
  let b: TestServer;
  let late: TestServer | undefined;
  let client: RegisteredClient;
  let app: AppClient;

  beforeAll(async () => {
    postgres = await startRestartablePostgres();
    const url = await createDatabase(postgres.url, `outage_${crypto.randomBytes(6).toString('hex')}`);
    // JWKS_MAX_AGE=1: the rotation below promotes a next key published 4 s earlier at most.
    cluster = clusterEnv(url, { DATABASE_CONNECT_TIMEOUT: '60', JWKS_MAX_AGE: '1' });
    a = await startInstance(cluster);
    // B's polls are lengthened: after the outage, only its re-established LISTEN can tell it of A's rotation.
    b = await startInstance(cluster, { keyPollIntervalMs: 60_000, revocationPollIntervalMs: 60_000 });
    client = await registerClient(a, ['--name', 'outage-client']);
    app = await registerApp(a);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), late?.stop()]);
    await postgres?.destroy();
  });

  it('goes not-ready while PostgreSQL is down, recovers after, and loses no refresh-token rotation', async () => {
    expect(await readyStatus(a)).toBe(200);
    expect(await readyStatus(b)).toBe(200);
    await clientCredentialsToken(b, client);
    const login = await startFamily(a, app);
    const rotated = await postForm(a, 'token_endpoint', { grant_type: 'refresh_token', refresh_token: login.refreshToken }, app);
    expect(rotated.status).toBe(200);
    const head: string = rotated.body.refresh_token;
    await eventually(() => b.deps.stores.changes.pushing, 5000);

    await postgres.stop();
    await eventually(async () => (await readyStatus(a)) === 503 && (await readyStatus(b)) === 503, 5000, 50);
    const readyz = await fetch(`${b.url}/readyz`);
    expect(await readyz.json()).toMatchObject({ status: 'not ready', problems: ['database unreachable'] });
    // The client is unknown without the database: a server error, never a confident "invalid_client".
    const refused = await postForm(a, 'token_endpoint', { grant_type: 'client_credentials' }, client);
    expect(refused.status).toBeGreaterThanOrEqual(500);
    // Nor is the refresh token declared invalid (which would make the client throw it away).
    const refreshDuringOutage = await postForm(b, 'token_endpoint', { grant_type: 'refresh_token', refresh_token: head }, app);
    expect(refreshDuringOutage.status).toBeGreaterThanOrEqual(500);
    await eventually(() => !b.deps.stores.changes.pushing, 5000, 50);

    // An instance started now waits for the database instead of failing.
    const lateStart = startInstance(cluster);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await postgres.start();
    late = await lateStart;

    await eventually(async () => (await readyStatus(a)) === 200 && (await readyStatus(b)) === 200, 15_000, 100);
    expect(await readyStatus(late)).toBe(200);
    for (const server of [a, b, late]) {
      const token = await clientCredentialsToken(server, client);
      const jwks = createRemoteJWKSet(new URL(await endpointOf(a, 'jwks_uri')));
      await expect(jwtVerify(token, jwks, { issuer: CLUSTER_ISSUER, typ: 'at+jwt' })).resolves.toBeDefined();
    }

    // The rotation committed before the outage stands: its successor is the live token, on either instance.
    const afterOnB = await postForm(b, 'token_endpoint', { grant_type: 'refresh_token', refresh_token: head }, app);
    expect(afterOnB.status, JSON.stringify(afterOnB.body)).toBe(200);
    expect(afterOnB.body.refresh_token).not.toBe(head);
    const afterOnA = await postForm(a, 'token_endpoint', { grant_type: 'refresh_token', refresh_token: afterOnB.body.refresh_token }, app);
    expect(afterOnA.status, JSON.stringify(afterOnA.body)).toBe(200);

    // B listens again: A's rotation reaches B's JWKS without B's (one-minute) poll.
    await eventually(() => b.deps.stores.changes.pushing, 10_000, 50);
    const active = await a.deps.keyManager.rotate(['EdDSA'], { wait: true });
    const kid = active[0]!.kid;
    // The promoted key was published already; the change shows as B signing with it and publishing its fresh successor.
    const { keys } = await a.deps.stores.keys.snapshot();
    const successor = keys.find((key) => key.alg === 'EdDSA' && key.status === 'next')!.kid;
    const elapsedMs = await eventually(async () => b.deps.keyring.signer('EdDSA').kid === kid && (await jwksKids(b)).includes(successor), 1000);
    expect(elapsedMs).toBeLessThan(1000);
  });
});
