/**
 * Two Inkan instances, one PostgreSQL (a fresh database in the global setup's server), one issuer:
 * tokens from one verify with the other's JWKS; a `keys rotate` by the CLI and an RFC 7009
 * revocation on A reach B through LISTEN/NOTIFY (both instances' one-second polls are lengthened
 * to a minute here, so only the notification can deliver them in time); concurrent rotations on
 * A and B leave one active key per alg; a refresh token rotated on A and replayed on B is theft.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createDatabase } from '../../helpers/postgres-server.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import type { TestServer } from '../../helpers/inkan.js';
import { createVerifier, VerifierError, type Verifier } from '@inkan/verifier';
import { SIGNING_ALGS } from '../../../src/storage/keys.js';
import { registerApp, startFamily } from '../../helpers/refresh.js';
import {
  CLUSTER_ISSUER,
  clientCredentialsToken,
  clusterEnv,
  endpointOf,
  fetchVia,
  jwksKids,
  postForm,
  startInstance,
} from './cluster.js';
import { eventually } from '../../helpers/eventually.js';

const serverUrl = inject('postgresUrl');
const unavailable = serverUrl === '' && process.env.CI !== 'true';
if (unavailable) console.warn('\n!! PostgreSQL is not available: test/flows/scale/cluster.test.ts is SKIPPED (it always runs in CI)\n');

/** Longer than any test here: a change that arrives in time came by NOTIFY, not by a poll. */
const NO_POLL = { keyPollIntervalMs: 60_000, revocationPollIntervalMs: 60_000 };

describe.skipIf(unavailable)('two instances on one PostgreSQL', () => {
  let a: TestServer;
  let b: TestServer;
  let rsClient: RegisteredClient;
  let edClient: RegisteredClient;

  beforeAll(async () => {
    if (serverUrl === '') throw new Error('PostgreSQL did not start (global setup), and CI requires it');
    const url = await createDatabase(serverUrl, `cluster_${crypto.randomBytes(6).toString('hex')}`);
    // JWKS_MAX_AGE=1: a rotation promotes the next key once it has been published for 4 s.
    const cluster = clusterEnv(url, { JWKS_MAX_AGE: '1' });
    a = await startInstance(cluster, NO_POLL);
    b = await startInstance(cluster, NO_POLL);
    [rsClient, edClient] = await Promise.all([
      registerClient(a, ['--name', 'rs-client']),
      registerClient(a, ['--name', 'ed-client', '--alg', 'EdDSA']),
    ]);
    await eventually(() => a.deps.stores.changes.pushing && b.deps.stores.changes.pushing, 5000);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('shares one key set: a token from A verifies with B’s JWKS, and the reverse, for both algs', async () => {
    expect(await jwksKids(a)).toEqual(await jwksKids(b));
    const jwksOfB = createRemoteJWKSet(new URL(await endpointOf(b, 'jwks_uri')));
    const jwksOfA = createRemoteJWKSet(new URL(await endpointOf(a, 'jwks_uri')));
    for (const client of [rsClient, edClient]) {
      const fromA = await clientCredentialsToken(a, client);
      const { payload, protectedHeader } = await jwtVerify(fromA, jwksOfB, { issuer: CLUSTER_ISSUER, typ: 'at+jwt' });
      expect(payload.client_id).toBe(client.client_id);
      expect(protectedHeader.alg).toBe(client === rsClient ? 'RS256' : 'EdDSA');
      const fromB = await clientCredentialsToken(b, client);
      await expect(jwtVerify(fromB, jwksOfA, { issuer: CLUSTER_ISSUER, typ: 'at+jwt' })).resolves.toBeDefined();
    }
  });

  it('shows a `keys rotate` by the CLI in both JWKS, and B signs with the new key, within a second (NOTIFY, not the poll)', async () => {
    const rotated = await a.cli(['keys', 'rotate']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const active = rotated.json<{ active: { kid: string; alg: string }[] }>().active;
    expect(active.map((key) => key.alg).sort()).toEqual([...SIGNING_ALGS].sort());
    // The promoted keys were published already; the rotation published their successors as next keys.
    const { keys } = await a.deps.stores.keys.snapshot();
    const successors = keys.filter((key) => key.status === 'next').map((key) => key.kid);
    expect(successors).toHaveLength(SIGNING_ALGS.length);
    const elapsedMs = await eventually(async () => {
      const [kidsA, kidsB] = await Promise.all([jwksKids(a), jwksKids(b)]);
      return [...active.map((key) => key.kid), ...successors].every((kid) => kidsA.includes(kid) && kidsB.includes(kid));
    }, 1000);
    expect(elapsedMs).toBeLessThan(1000);
    const rsKid = active.find((key) => key.alg === 'RS256')!.kid;
    expect(decodeProtectedHeader(await clientCredentialsToken(b, rsClient)).kid).toBe(rsKid);
    expect(b.deps.keyring.signer('RS256').kid).toBe(rsKid);
  });

  it('leaves exactly one active key per alg after concurrent rotations on A and B, and loses none; the lock makes them take turns', { timeout: 60_000 }, async () => {
    // Count compare-and-sets that lost: with the advisory lock the instances never even race.
    let lostCompareAndSets = 0;
    const originals = [a, b].map((server) => {
      const store = server.deps.stores.keys as { apply: typeof server.deps.stores.keys.apply };
      const original = store.apply;
      store.apply = async (version, changes) => {
        const won = await original(version, changes);
        if (!won) lostCompareAndSets += 1;
        return won;
      };
      return () => (store.apply = original);
    });
    const returned: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      // Each waits (outside the lock) for the next keys the other one published, then rotates in its turn.
      const results = await Promise.all([a.deps.keyManager.rotate(['RS256', 'EdDSA'], { wait: true }), b.deps.keyManager.rotate(['RS256', 'EdDSA'], { wait: true })]);
      for (const keys of results) {
        expect(keys.map((key) => key.alg).sort()).toEqual(['EdDSA', 'RS256']);
        returned.push(...keys.map((key) => key.kid));
      }
      const { keys } = await a.deps.stores.keys.snapshot();
      for (const alg of SIGNING_ALGS) expect(keys.filter((key) => key.alg === alg && key.status === 'active')).toHaveLength(1);
      for (const alg of SIGNING_ALGS) expect(keys.filter((key) => key.alg === alg && key.status === 'next')).toHaveLength(1);
    }
    for (const restore of originals) restore();
    expect(lostCompareAndSets).toBe(0);
    // Six rotations per alg, six distinct new keys per alg, every one of them still stored.
    expect(new Set(returned).size).toBe(12);
    const stored = new Set((await b.deps.stores.keys.snapshot()).keys.map((key) => key.kid));
    for (const kid of returned) expect(stored.has(kid)).toBe(true);
    // Both keyrings follow without their poll.
    const version = await a.deps.stores.keys.version();
    await eventually(() => a.deps.keyring.version === version && b.deps.keyring.version === version, 1000);
  });

  it('delivers a revocation on A to a verifier subscribed to B within a second, and to B’s own cache', async () => {
    const subscriber = await registerClient(a, ['--name', 'resource-server', '--scope', 'revocations:read']);
    const verifier: Verifier = createVerifier({
      issuer: CLUSTER_ISSUER,
      audience: CLUSTER_ISSUER,
      clientId: subscriber.client_id,
      clientSecret: subscriber.client_secret!,
      fetch: fetchVia(b),
      logger: { warn: () => {} },
    });
    try {
      await verifier.ready();
      expect(verifier.stats().feedConnected).toBe(true);
      const token = await clientCredentialsToken(a, edClient);
      const claims = await verifier.verify(token);
      expect(claims.client_id).toBe(edClient.client_id);

      const revoked = await postForm(a, 'revocation_endpoint', { token }, edClient);
      expect(revoked.status).toBe(200);
      const rejectedMs = await eventually(
        async () => (await verifier.verify(token).then(() => undefined, (error: unknown) => (error as VerifierError).code)) === 'ERR_TOKEN_REVOKED',
        1000,
      );
      expect(rejectedMs).toBeLessThan(1000);
      expect(b.deps.revocations.covers({ jti: claims.jti, sub: claims.sub, client_id: claims.client_id, iat: claims.iat })).toBe(true);
      // Introspection at B agrees.
      const introspected = await postForm(b, 'introspection_endpoint', { token }, edClient);
      expect(introspected.body).toEqual({ active: false });
    } finally {
      await verifier.close();
    }
  });

  describe('refresh tokens across instances', () => {
    it('a retry on B inside the grace window gets the same successor A issued', async () => {
      const app = await registerApp(a);
      const login = await startFamily(a, app);
      const onA = await postForm(a, 'token_endpoint', { grant_type: 'refresh_token', refresh_token: login.refreshToken }, app);
      expect(onA.status).toBe(200);
      const retryOnB = await postForm(b, 'token_endpoint', { grant_type: 'refresh_token', refresh_token: login.refreshToken }, app);
      expect(retryOnB.status).toBe(200);
      expect(retryOnB.body.refresh_token).toBe(onA.body.refresh_token);
    });

    it('a token rotated on A and replayed on B is theft: invalid_grant, and the whole family is revoked', async () => {
      const app = await registerApp(a);
      const login = await startFamily(a, app);
      const first = await postForm(a, 'token_endpoint', { grant_type: 'refresh_token', refresh_token: login.refreshToken }, app);
      expect(first.status).toBe(200);
      const second = await postForm(a, 'token_endpoint', { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, app);
      expect(second.status).toBe(200);
      // The first token's successor has been used: presenting it again is no retry.
      const replay = await postForm(b, 'token_endpoint', { grant_type: 'refresh_token', refresh_token: login.refreshToken }, app);
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');
      const head = await postForm(a, 'token_endpoint', { grant_type: 'refresh_token', refresh_token: second.body.refresh_token }, app);
      expect(head.status).toBe(400);
      expect(head.body.error).toBe('invalid_grant');
    });
  });
});

describe.skipIf(unavailable)('instances starting together on an empty database', () => {
  it('migrate once (the others wait for the lock), create one active and one next key per alg, and all become ready', async () => {
    if (serverUrl === '') throw new Error('PostgreSQL did not start (global setup), and CI requires it');
    const url = await createDatabase(serverUrl, `together_${crypto.randomBytes(6).toString('hex')}`);
    const cluster = clusterEnv(url);
    const servers = await Promise.all([startInstance(cluster), startInstance(cluster), startInstance(cluster)]);
    try {
      const { keys } = await servers[0]!.deps.stores.keys.snapshot();
      for (const alg of SIGNING_ALGS) expect(keys.filter((key) => key.alg === alg && key.status === 'active')).toHaveLength(1);
      for (const alg of SIGNING_ALGS) expect(keys.filter((key) => key.alg === alg && key.status === 'next')).toHaveLength(1);
      expect(keys).toHaveLength(2 * SIGNING_ALGS.length);
      for (const server of servers) {
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
        expect((await jwksKids(server)).sort()).toEqual(keys.map((key) => key.kid).sort());
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  });
});
