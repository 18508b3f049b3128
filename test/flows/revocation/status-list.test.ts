/**
 * The Token Status List served by Inkan: the claim in every access token, the signed list at its
 * uri, bits that flip for revoked tokens (by jti and by subject), random, distinct index
 * allocation, and a token endpoint that answers 503 rather than hand out a token whose index it
 * could not record. (The encoding itself, against the draft's test vector, is the SDK's:
 * test/verifier/status-list-encoding.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { decodeStatusList, statusAt } from '@inkan/verifier/protocol';

describe('status lists served by Inkan', () => {
  let server: TestServer;
  let client: RegisteredClient;

  const token = async (): Promise<string> => {
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const reference = (jwt: string) => (decodeJwt(jwt).status as { status_list: { idx: number; uri: string } }).status_list;
  const bitOf = async (jwt: string) => {
    const { idx, uri } = reference(jwt);
    const response = await fetch(uri);
    expect(response.headers.get('content-type')).toBe('application/statuslist+jwt');
    const { payload } = await jwtVerify(await response.text(), createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), {
      typ: 'statuslist+jwt',
      issuer: server.issuer,
      subject: uri,
    });
    const list = payload.status_list as { bits: 1; lst: string };
    return { payload, status: statusAt(decodeStatusList(list.lst), list.bits, idx) };
  };
  const eventually = async (check: () => Promise<boolean>, timeoutMs = 3000) => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > timeoutMs) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    server = await startInkan();
    client = await registerClient(server, ['--name', 'svc', '--alg', 'EdDSA']);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('puts status.status_list {idx, uri} in access tokens and serves a signed list there', async () => {
    const jwt = await token();
    const { idx, uri } = reference(jwt);
    expect(uri).toMatch(new RegExp(`^${server.issuer}/status-lists/[A-Za-z0-9_-]+$`));
    expect(Number.isInteger(idx)).toBe(true);
    const { payload, status } = await bitOf(jwt);
    expect(status).toBe(0);
    expect(payload).toMatchObject({ sub: uri, ttl: expect.any(Number), iat: expect.any(Number), exp: expect.any(Number) });
    expect((payload.status_list as { bits: number }).bits).toBe(1);
    expect((await fetch(`${server.issuer}/status-lists/nope`)).status).toBe(404);
  });

  it('hands out distinct indices in no particular order', async () => {
    const indices = await Promise.all(Array.from({ length: 30 }, async () => reference(await token()).idx));
    expect(new Set(indices).size).toBe(30);
    const sorted = [...indices].sort((a, b) => a - b);
    expect(indices).not.toEqual(sorted);
    expect(Math.max(...indices) - Math.min(...indices)).toBeGreaterThan(1000);
  });

  it('flips the bit of a token revoked with RFC 7009, and only that one', async () => {
    const revoked = await token();
    const kept = await token();
    const response = await fetch(`${server.issuer}/revoke`, {
      method: 'POST',
      headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: revoked, token_type_hint: 'access_token' }),
    });
    expect(response.status).toBe(200);
    await eventually(async () => (await bitOf(revoked)).status === 1);
    expect((await bitOf(kept)).status).toBe(0);
  });

  it.each(['subject', 'client'] as const)('flips the bits of every token covered by a %s revocation', async (kind) => {
    const first = await token();
    const second = await token();
    // client_credentials tokens have the client as their subject.
    await server.deps.revocations.revoke(kind === 'subject' ? { kind, sub: client.client_id } : { kind, clientId: client.client_id });
    await eventually(async () => (await bitOf(first)).status === 1 && (await bitOf(second)).status === 1);
  });

  it('answers 503 temporarily_unavailable when the issued indices cannot be committed, then recovers', async () => {
    const store = server.deps.stores.statusLists;
    const recordIssued = store.recordIssued;
    store.recordIssued = async () => {
      throw new Error('the disk is full');
    };
    try {
      const refused = await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('cache-control')).toBe('no-store');
      expect(await refused.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'the token could not be recorded for revocation; try again' });
    } finally {
      store.recordIssued = recordIssued;
    }
    // Recovered: the next request gets its token, with a status reference.
    const recovered = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(recovered.status).toBe(200);
    expect(reference(((await recovered.json()) as { access_token: string }).access_token).uri).toMatch(/\/status-lists\//);
  });
});
