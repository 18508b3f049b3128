/**
 * The SDK's revocation over real HTTP: a subscribed verifier rejects a revoked token within a
 * second of RFC 7009 returning, with no request to Inkan per verification; the feed resumes after
 * a server restart and replays what was missed; with the feed down the SDK honours the status
 * list; a feed that stays down fails closed after maxStalenessSeconds; entries vanish after the
 * covered tokens expire.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, VerifierError, type Verifier, type VerifierOptions } from '@inkan/verifier';
import { startInkan, testEnv, type TestServer } from '../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../helpers/clients.js';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/postgres-server.js';
import { loadConfig } from '../../src/config.js';
import { createKnexStores } from '../../src/storage/knex/index.js';

const quiet = { warn: () => {} };
const verifiers: Verifier[] = [];
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
});

async function tokenFrom(issuer: string, client: RegisteredClient, scope?: string): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function revoke(issuer: string, client: RegisteredClient, token: string): Promise<void> {
  const response = await fetch(`${issuer}/revoke`, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  expect(response.status).toBe(200);
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error instanceof VerifierError ? error.code : `unexpected ${String(error)}`),
  );
}

function verifierFor(issuer: string, subscriber: RegisteredClient, options: Partial<VerifierOptions> = {}): Verifier {
  const verifier = createVerifier({
    issuer,
    audience: issuer,
    clientId: subscriber.client_id,
    clientSecret: subscriber.client_secret!,
    logger: quiet,
    ...options,
  });
  verifiers.push(verifier);
  return verifier;
}

describe('a subscribed verifier', () => {
  let server: TestServer;
  let subscriber: RegisteredClient;
  let app: RegisteredClient;
  beforeAll(async () => {
    server = await startInkan();
    subscriber = await registerClient(server, ['--name', 'resource-server', '--scope', 'revocations:read']);
    app = await registerClient(server, ['--name', 'app', '--alg', 'EdDSA']);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('rejects a token within a second of RFC 7009 returning, with no request to Inkan per verification', async () => {
    const verifier = verifierFor(server.issuer, subscriber);
    await verifier.ready();
    expect(verifier.stats().feedConnected).toBe(true);
    const token = await tokenFrom(server.issuer, app);
    const other = await tokenFrom(server.issuer, app);
    await expect(verifier.verify(token)).resolves.toMatchObject({ client_id: app.client_id });
    const requestsBefore = verifier.stats().issuerRequests;

    await revoke(server.issuer, app, token);
    const elapsedMs = await eventually(async () => (await codeOf(verifier.verify(token))) === 'ERR_TOKEN_REVOKED', 1000);
    expect(elapsedMs).toBeLessThan(1000);
    await expect(verifier.verify(other)).resolves.toMatchObject({ client_id: app.client_id });
    expect(verifier.stats().issuerRequests).toBe(requestsBefore);
  });

  it('rejects every token of a client revoked as a whole, and forgets nothing on a second verifier started later (snapshot)', async () => {
    const victim = await registerClient(server, ['--name', 'victim']);
    const token = await tokenFrom(server.issuer, victim);
    const verifier = verifierFor(server.issuer, subscriber);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await server.deps.revocations.revoke({ kind: 'client', clientId: victim.client_id });
    await eventually(async () => (await codeOf(verifier.verify(token))) === 'ERR_TOKEN_REVOKED', 1000);
    const late = verifierFor(server.issuer, subscriber);
    expect(await codeOf(late.verify(token))).toBe('ERR_TOKEN_REVOKED');
    expect(late.stats().lastEventId).toBe(verifier.stats().lastEventId);
  });

  it('honours the status list with the feed down, and fails closed once the staleness bound passes', async () => {
    const feedUrl = `${server.issuer}/revocations/feed`;
    let statusListDown = false;
    let offsetMs = 0;
    const blockingFetch: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url === feedUrl || (statusListDown && url.includes('/status-lists/'))) throw new TypeError('fetch failed (blocked by the test)');
      return fetch(input, init);
    };
    const verifier = verifierFor(server.issuer, subscriber, {
      fetch: blockingFetch,
      maxStalenessSeconds: 2,
      startupTimeoutMs: 200,
      now: () => Date.now() + offsetMs,
    });
    const token = await tokenFrom(server.issuer, app);
    const kept = await tokenFrom(server.issuer, app);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(verifier.stats().feedConnected).toBe(false);
    expect(verifier.stats().statusListsCached).toBe(1);

    await revoke(server.issuer, app, token);
    // The list is refetched once its ttl (capped by maxStalenessSeconds = 2) has passed.
    await eventually(async () => (await codeOf(verifier.verify(token))) === 'ERR_TOKEN_REVOKED', 4000, 100);
    await expect(verifier.verify(kept)).resolves.toBeDefined();

    statusListDown = true;
    offsetMs = 5000; // beyond maxStalenessSeconds since the last list and with no feed at all
    expect(await codeOf(verifier.verify(kept))).toBe('ERR_REVOCATION_STALE');
  });
});

describe('across a server restart', () => {
  it('resumes with Last-Event-ID and replays the revocations it missed', async () => {
    const env = testEnv();
    const port = await freePort();
    const fixed = { PORT: String(port), ISSUER: `http://127.0.0.1:${port}` };
    let server = await startInkan({ testEnv: env, env: fixed });
    const subscriber = await registerClient(server, ['--name', 'resource-server', '--scope', 'revocations:read']);
    const app = await registerClient(server, ['--name', 'app']);
    const verifier = verifierFor(server.issuer, subscriber);
    const first = await tokenFrom(server.issuer, app);
    const missed = await tokenFrom(server.issuer, app);
    await revoke(server.issuer, app, first);
    await eventually(async () => (await codeOf(verifier.verify(first))) === 'ERR_TOKEN_REVOKED', 1000);
    const cursor = verifier.stats().lastEventId;

    await server.stop(1000);
    expect(verifier.stats().feedConnected).toBe(false);
    // While the feed is down another process (here: the store, as the CLI would) revokes a token.
    const config = loadConfig(server.env, env.dir);
    const stores = await createKnexStores(config.database, { migrate: false });
    const claims = JSON.parse(Buffer.from(missed.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number };
    const record = await stores.revocations.add({ kind: 'jti', jti: claims.jti }, Math.floor(Date.now() / 1000), claims.exp);
    await stores.close();
    // Still within maxStalenessSeconds: the verifier keeps answering from what it knows.
    await expect(verifier.verify(missed)).resolves.toBeDefined();

    server = await startInkan({ testEnv: env, env: fixed });
    try {
      await eventually(() => verifier.stats().feedConnected, 8000, 50);
      expect(await codeOf(verifier.verify(missed))).toBe('ERR_TOKEN_REVOKED');
      expect(await codeOf(verifier.verify(first))).toBe('ERR_TOKEN_REVOKED');
      expect(verifier.stats().lastEventId).toBe(record.id);
      expect(record.id).toBeGreaterThan(cursor);
    } finally {
      await server.stop();
    }
  });
});

describe('expiry', () => {
  it('drops revocation entries once the tokens they cover have expired', async () => {
    const server = await startInkan({ env: { ACCESS_TOKEN_TTL: '2' } });
    try {
      const subscriber = await registerClient(server, ['--name', 'resource-server', '--scope', 'revocations:read']);
      const app = await registerClient(server, ['--name', 'app']);
      const verifier = verifierFor(server.issuer, subscriber, { clockToleranceSeconds: 0 });
      const token = await tokenFrom(server.issuer, app);
      await verifier.ready();
      await revoke(server.issuer, app, token);
      await eventually(() => verifier.stats().revocationRecords === 1, 1000);
      expect(await codeOf(verifier.verify(token))).toBe('ERR_TOKEN_REVOKED');
      await eventually(() => verifier.stats().revocationRecords === 0, 6000, 100);
      expect(await codeOf(verifier.verify(token))).toBe('ERR_TOKEN_EXPIRED');
    } finally {
      await server.stop();
    }
  });
});
