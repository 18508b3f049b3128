/**
 * The jwks_uri cache of private_key_jwt clients (clients/client-keys.ts on clients/remote-documents.ts), driven with a fake fetch
 * and clock: max-age, the bounded refetch on an unknown kid, the last good set kept on failure, a
 * failed first fetch remembered for its cooldown, the timeout, and a set holding private key
 * material refused; and, through the token endpoint of a real server, a broken jwks_uri fetched
 * once per cooldown however many assertions name its client.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientKeySource } from '../../src/clients/client-keys.js';
import { FAILED_FETCH_COOLDOWN_SECONDS, RemoteDocumentError as JwksFetchError, UNKNOWN_KID_COOLDOWN_SECONDS } from '../../src/clients/remote-documents.js';
import type { ClientRecord } from '../../src/storage/clients.js';
import { startInkan, type TestServer } from '../helpers/inkan.js';
import { registerClient } from '../helpers/clients.js';
import { movableClock } from '../helpers/people.js';
import { ASSERTION_TYPE, assertion, keyPair, postForm } from '../helpers/asymmetric.js';

const client = { clientId: 'c', jwks: null, jwksUri: 'https://keys.example.com/jwks.json' } as unknown as ClientRecord;
const keyA = { kty: 'OKP', crv: 'Ed25519', x: 'a', kid: 'a' };
const keyB = { kty: 'OKP', crv: 'Ed25519', x: 'b', kid: 'b' };

function setUp(answers: Array<(init: RequestInit) => Response | Promise<Response>>) {
  let now = 1_000_000;
  let calls = 0;
  const fetchStub = (async (_url: string, init: RequestInit) => {
    const answer = answers[Math.min(calls, answers.length - 1)]!;
    calls += 1;
    return answer(init);
  }) as unknown as typeof fetch;
  const source = clientKeySource({ clock: { nowSeconds: () => now }, fetch: fetchStub, fetchTimeoutMs: 150 });
  return { source, advance: (seconds: number) => (now += seconds), calls: () => calls };
}

const jwks = (keys: unknown[], maxAge?: number) => () =>
  new Response(JSON.stringify({ keys }), { headers: maxAge === undefined ? {} : { 'cache-control': `max-age=${maxAge}` } });

describe('the jwks_uri cache', () => {
  it('keeps a set for its max-age, then refetches', async () => {
    const { source, advance, calls } = setUp([jwks([keyA], 60), jwks([keyB], 60)]);
    expect(await source.keys(client)).toEqual([keyA]);
    advance(59);
    expect(await source.keys(client)).toEqual([keyA]);
    expect(calls()).toBe(1);
    advance(2);
    expect(await source.keys(client)).toEqual([keyB]);
    expect(calls()).toBe(2);
  });

  it('refetches on an unknown kid at most once per cooldown', async () => {
    const { source, advance, calls } = setUp([jwks([keyA], 3600), jwks([keyB], 3600)]);
    await source.keys(client);
    expect(await source.keys(client, { refresh: true })).toEqual([keyB]);
    expect(await source.keys(client, { refresh: true })).toEqual([keyB]);
    expect(calls()).toBe(2);
    advance(UNKNOWN_KID_COOLDOWN_SECONDS);
    await source.keys(client, { refresh: true });
    expect(calls()).toBe(3);
  });

  it('stops reading a set that grows past 64 KiB without a Content-Length', async () => {
    let pulled = 0;
    const endless = () =>
      new Response(new ReadableStream({
        pull(controller) {
          pulled += 1;
          controller.enqueue(new Uint8Array(16 * 1024).fill(32));
        },
      }));
    const { source } = setUp([endless]);
    await expect(source.keys(client)).rejects.toThrow(/larger than 65536 bytes/);
    expect(pulled).toBeLessThan(10);
  });

  it('keeps the last good set when a refetch fails, and fails without one', async () => {
    const { source, advance } = setUp([jwks([keyA], 30), () => new Response('down', { status: 503 })]);
    await source.keys(client);
    advance(31);
    expect(await source.keys(client)).toEqual([keyA]);
    const broken = setUp([() => new Response('down', { status: 503 })]);
    await expect(broken.source.keys(client)).rejects.toBeInstanceOf(JwksFetchError);
  });

  it('remembers a failed first fetch for its cooldown: no fetch per request', async () => {
    const { source, advance, calls } = setUp([() => new Response('down', { status: 503 }), jwks([keyA], 60)]);
    await expect(source.keys(client)).rejects.toThrow(/answered 503/);
    for (let i = 0; i < 5; i += 1) await expect(source.keys(client, { refresh: i % 2 === 0 })).rejects.toThrow(/answered 503/);
    expect(calls()).toBe(1);
    advance(FAILED_FETCH_COOLDOWN_SECONDS - 1);
    await expect(source.keys(client)).rejects.toBeInstanceOf(JwksFetchError);
    expect(calls()).toBe(1);
    advance(1);
    expect(await source.keys(client)).toEqual([keyA]);
    expect(calls()).toBe(2);
  });

  it('gives up after its timeout (150 ms here)', async () => {
    const hanging = (init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason as Error)));
    const { source } = setUp([hanging]);
    const started = Date.now();
    await expect(source.keys(client)).rejects.toThrow(/could not be fetched/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('refuses a set holding private key material', async () => {
    const { source } = setUp([jwks([{ ...keyA, d: 'secret' }])]);
    await expect(source.keys(client)).rejects.toThrow(/private key material/);
  });
});

describe('a broken jwks_uri behind the token endpoint', () => {
  const clock = movableClock();
  let server: TestServer;
  let broken: http.Server;
  let fetches = 0;
  let uri: string;

  beforeAll(async () => {
    broken = http.createServer((_req, res) => {
      fetches += 1;
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('broken');
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    uri = `http://127.0.0.1:${(broken.address() as AddressInfo).port}/jwks.json`;
    server = await startInkan({ core: { clock } });
  });
  afterAll(async () => {
    await server.stop();
    broken.closeAllConnections();
    await new Promise<void>((resolve) => broken.close(() => resolve()));
  });

  it('is fetched once per cooldown, however many assertions name its client', async () => {
    const key = await keyPair('EdDSA');
    const victim = await registerClient(server, ['--name', 'broken-keys', '--auth-method', 'private_key_jwt', '--jwks-uri', uri]);
    const attempt = async () =>
      postForm(`${server.issuer}/token`, {
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion(key, victim.client_id, server.issuer),
      });
    for (let i = 0; i < 10; i += 1) {
      const answer = await attempt();
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'invalid_client', error_description: "the client's keys could not be fetched" });
    }
    expect(fetches).toBe(1);
    clock.advance(FAILED_FETCH_COOLDOWN_SECONDS);
    expect((await attempt()).status).toBe(401);
    expect((await attempt()).status).toBe(401);
    expect(fetches).toBe(2);
  });
});
