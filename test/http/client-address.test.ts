/**
 * `clientAddress` (src/http/client-address.ts) is the TRUST_PROXY rule for both Koa and the hot
 * path, and claims to be Koa's own `proxy` + `maxIpsCount` rule. This runs one tiny Koa 3 app per
 * trusted hop count and sends the same X-Forwarded-For values to each: `clientAddress` must equal
 * the `ctx.ip` Koa computes itself, and the address written out by hand. Then, through a real
 * Inkan, the token endpoint's `token.issued` audit line carries the forwarded address with
 * TRUST_PROXY=on, and the socket's without.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddress } from '../../src/http/client-address.js';
import { basicAuth, registerClient, type RegisteredClient } from '../helpers/clients.js';
import { startInkan, type TestServer } from '../helpers/inkan.js';
import { recordTokenResponse } from '../helpers/secrets.js';
import { LogLines } from '../helpers/operations.js';

const SOCKET = '127.0.0.1';
const HOPS = [0, 1, 2, 3] as const;

/** X-Forwarded-For (undefined: no header) and the client address expected for 0, 1, 2 and 3 trusted hops. */
const TABLE: readonly { forwardedFor: string | undefined; expected: readonly [string, string, string, string] }[] = [
  { forwardedFor: undefined, expected: [SOCKET, SOCKET, SOCKET, SOCKET] },
  { forwardedFor: '203.0.113.7', expected: [SOCKET, '203.0.113.7', '203.0.113.7', '203.0.113.7'] },
  { forwardedFor: 'spoofed, real', expected: [SOCKET, 'real', 'spoofed', 'spoofed'] },
  { forwardedFor: ' a , b , c ', expected: [SOCKET, 'c', 'b', 'a'] },
  { forwardedFor: '', expected: [SOCKET, SOCKET, SOCKET, SOCKET] },
  // An empty entry where the client would be: both fall back to the socket.
  { forwardedFor: 'spoofed,', expected: [SOCKET, SOCKET, 'spoofed', 'spoofed'] },
  { forwardedFor: 'x, , y', expected: [SOCKET, 'y', SOCKET, 'x'] },
];

interface Seen {
  /** The header as the app received it (null: absent), proving what was sent arrived as written. */
  readonly header: string | null;
  readonly koa: string;
  readonly ours: string;
}

describe('clientAddress agrees with Koa 3 (proxy + maxIpsCount)', () => {
  const apps = new Map<number, { server: http.Server; base: string }>();

  beforeAll(async () => {
    for (const hops of HOPS) {
      const app = new Koa({ proxy: hops > 0, maxIpsCount: hops });
      app.use((ctx) => {
        const header = ctx.req.headers['x-forwarded-for'];
        ctx.body = { header: typeof header === 'string' ? header : null, koa: ctx.ip, ours: clientAddress(ctx.req, hops) } satisfies Seen;
      });
      const server = http.createServer(app.callback());
      await new Promise<void>((resolve) => server.listen(0, SOCKET, resolve));
      apps.set(hops, { server, base: `http://${SOCKET}:${(server.address() as AddressInfo).port}` });
    }
  });
  afterAll(async () => {
    await Promise.all([...apps.values()].map(({ server }) => new Promise((resolve) => server.close(resolve))));
  });

  function ask(hops: number, forwardedFor: string | undefined): Promise<Seen> {
    return new Promise((resolve, reject) => {
      const request = http.request(apps.get(hops)!.base, { method: 'GET' }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Seen));
        response.on('error', reject);
      });
      if (forwardedFor !== undefined) request.setHeader('x-forwarded-for', forwardedFor);
      request.on('error', reject);
      request.end();
    });
  }

  const cases = TABLE.flatMap(({ forwardedFor, expected }) =>
    HOPS.map((hops) => ({
      label: `X-Forwarded-For ${forwardedFor === undefined ? 'absent' : JSON.stringify(forwardedFor)}, ${hops} trusted hops → ${expected[hops]}`,
      forwardedFor,
      hops,
      expected: expected[hops],
    })),
  );

  for (const { label, forwardedFor, hops, expected } of cases) {
    it(label, async () => {
      const seen = await ask(hops, forwardedFor);
      // HTTP drops the whitespace around a field value (RFC 9110 §5.5); the spaces inside remain.
      expect(seen.header).toBe(forwardedFor?.trim() ?? null);
      expect(seen.ours).toBe(seen.koa);
      expect(seen.ours).toBe(expected);
    });
  }
});

describe('the token endpoint audits the client address by the TRUST_PROXY rule', () => {
  const log = new LogLines();
  let direct: TestServer;
  let proxied: TestServer;
  let directClient: RegisteredClient;
  let proxiedClient: RegisteredClient;

  beforeAll(async () => {
    [direct, proxied] = await Promise.all([startInkan({ onLog: log.collect }), startInkan({ env: { TRUST_PROXY: 'on' }, onLog: log.collect })]);
    [directClient, proxiedClient] = await Promise.all([
      registerClient(direct, ['--name', 'direct-svc', '--scope', 'read']),
      registerClient(proxied, ['--name', 'proxied-svc', '--scope', 'read']),
    ]);
  });
  afterAll(async () => {
    await Promise.all([direct.stop(), proxied.stop()]);
  });

  /** A client-credentials token requested with X-Forwarded-For; returns its token.issued audit line. */
  async function issuedLine(server: TestServer, client: RegisteredClient, forwardedFor: string): Promise<Record<string, unknown>> {
    const requestId = `audit-address-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor, 'x-request-id': requestId },
      body: 'grant_type=client_credentials',
    });
    const body = (await response.json()) as { access_token: string };
    expect(response.status).toBe(200);
    recordTokenResponse(body);
    const lines = log.audit('token.issued').filter((line) => line.reqId === requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.jti).toBe(decodeJwt(body.access_token).jti);
    expect(lines[0]!.client_id).toBe(client.client_id);
    return lines[0]!;
  }

  it('with TRUST_PROXY=on: the address the proxy appended, not what the client put before it', async () => {
    expect((await issuedLine(proxied, proxiedClient, '203.0.113.9')).client_address).toBe('203.0.113.9');
    expect((await issuedLine(proxied, proxiedClient, '198.51.100.66, 203.0.113.10')).client_address).toBe('203.0.113.10');
  });

  it('without TRUST_PROXY: the socket address, whatever X-Forwarded-For says', async () => {
    expect((await issuedLine(direct, directClient, '203.0.113.9')).client_address).toBe(SOCKET);
    expect((await issuedLine(direct, directClient, '198.51.100.66, 203.0.113.10')).client_address).toBe(SOCKET);
  });
});
