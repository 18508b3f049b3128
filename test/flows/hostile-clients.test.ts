/**
 * Hostile and slow clients over raw sockets (src/http/listener.ts, src/http/form.ts): a body over
 * the limit, chunked or announced, gets its 413 with `Connection: close` and the client can read
 * it without meeting a reset while it still uploads; headers and bodies fed too slowly are cut
 * with 408 (HEADERS_TIMEOUT, REQUEST_TIMEOUT, set small here); an answered revocation feed is not;
 * MAX_CONNECTIONS caps open connections; and while 50 slow connections are open, discovery and
 * the token endpoint answer as usual.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, registerClient, type RegisteredClient } from '../helpers/clients.js';
import { startInkan, type TestServer } from '../helpers/inkan.js';
import { RawConnection } from '../helpers/raw-http.js';
import { clientToken } from '../helpers/operations.js';
import { DRAIN_MS } from '../../src/http/listener.js';

const FORM = 'application/x-www-form-urlencoded';
const CHUNK = Buffer.alloc(64 * 1024, 'a');
/** 4 MiB: far over every limit, sent in well under DRAIN_MS on loopback. */
const CHUNKS = 64;

let server: TestServer;
let client: RegisteredClient;

beforeAll(async () => {
  server = await startInkan({ env: { HEADERS_TIMEOUT: '1', REQUEST_TIMEOUT: '2' } });
  client = await registerClient(server, ['--name', 'svc', '--scope', 'read revocations:read']);
});
afterAll(async () => {
  await server.stop();
});

function head(path: string, framing: 'chunked' | 'length', extra = ''): string {
  const length = framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${CHUNKS * CHUNK.length}`;
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${FORM}\r\n${length}\r\n${extra}\r\n`;
}

const framed = (framing: 'chunked' | 'length', chunk: Buffer) =>
  framing === 'chunked' ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;

/**
 * A client that uploads its whole body before it looks for an answer (as a simple client does),
 * then reads the answer and closes its side. Returns how much it could send and what it read.
 */
async function uploadThenRead(path: string, framing: 'chunked' | 'length', extra = '') {
  const connection = await RawConnection.open(server.port);
  await connection.write(head(path, framing, extra));
  let sent = 0;
  while (sent < CHUNKS && (await connection.write(framed(framing, CHUNK)))) sent += 1;
  if (framing === 'chunked' && sent === CHUNKS) await connection.write('0\r\n\r\n');
  const answer = await connection.response();
  connection.socket.end();
  const closed = await connection.closedWithin(DRAIN_MS + 2000);
  return { sent, answer, closed };
}

describe('a body over the limit', () => {
  it.each(['chunked', 'length'] as const)('at the token endpoint (hot path, %s): 413 JSON with Connection: close, read after the whole upload, no reset', async (framing) => {
    const { sent, answer, closed } = await uploadThenRead('/token', framing, `Authorization: ${basicAuth(client)}\r\n`);
    expect(sent).toBe(CHUNKS);
    expect(answer?.status).toBe(413);
    expect(answer?.headers.connection).toBe('close');
    expect(answer?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer?.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(answer!.body)).toEqual({ error: 'invalid_request', error_description: 'the request body is larger than 65536 bytes' });
    expect(closed).toEqual({ error: undefined, afterMs: expect.any(Number) });
  });

  it.each(['chunked', 'length'] as const)('at a Koa endpoint (/revoke, %s): the same', async (framing) => {
    const { sent, answer, closed } = await uploadThenRead('/revoke', framing, `Authorization: ${basicAuth(client)}\r\n`);
    expect(sent).toBe(CHUNKS);
    expect(answer?.status).toBe(413);
    expect(answer?.headers.connection).toBe('close');
    expect(JSON.parse(answer!.body)).toEqual({ error: 'invalid_request', error_description: 'the request body is larger than 65536 bytes' });
    expect(closed?.error).toBeUndefined();
  });

  it('at a page form (/login, chunked): a 413 page with Connection: close', async () => {
    const { sent, answer, closed } = await uploadThenRead('/login?ix=x', 'chunked');
    expect(sent).toBe(CHUNKS);
    expect(answer?.status).toBe(413);
    expect(answer?.headers.connection).toBe('close');
    expect(answer?.body).toContain('the form is larger than 16384 bytes');
    expect(closed?.error).toBeUndefined();
  });

  it('a client that never stops uploading is hung up on once it had DRAIN_MS to read the answer', async () => {
    const connection = await RawConnection.open(server.port);
    await connection.write(head('/token', 'chunked'));
    const started = Date.now();
    const pump = (async () => {
      // Bounded: at most 20 s of 16 KiB chunks every 10 ms.
      while (Date.now() - started < 20_000 && (await connection.write(framed('chunked', CHUNK.subarray(0, 16 * 1024))))) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const answer = await connection.response();
    expect(answer?.status).toBe(413);
    expect(answer?.headers.connection).toBe('close');
    const closed = await connection.closedWithin(DRAIN_MS + 3000);
    await pump;
    expect(closed).toBeDefined();
    expect(closed!.afterMs).toBeGreaterThanOrEqual(DRAIN_MS);
  });
});

describe('slow clients (HEADERS_TIMEOUT=1, REQUEST_TIMEOUT=2)', () => {
  it('a connection that sends nothing gets 408 and is closed after the headers timeout', async () => {
    const connection = await RawConnection.open(server.port);
    const closed = await connection.endedWithin(3000);
    connection.destroy();
    expect(closed).toBeDefined();
    expect(closed!.afterMs).toBeGreaterThanOrEqual(900);
    expect(connection.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('headers dripped a byte at a time are cut at the headers timeout', async () => {
    const connection = await RawConnection.open(server.port);
    const request = `GET /.well-known/openid-configuration HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'x'.repeat(200)}\r\n\r\n`;
    let index = 0;
    const timer = setInterval(() => void connection.write(request[index++] ?? ''), 50);
    const closed = await connection.closedWithin(3000);
    clearInterval(timer);
    expect(closed).toBeDefined();
    expect(closed!.afterMs).toBeLessThan(2500);
    expect(index).toBeLessThan(request.length);
    expect(connection.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('a drip-fed body is cut at the request timeout', async () => {
    const connection = await RawConnection.open(server.port);
    await connection.write(`POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${FORM}\r\nAuthorization: ${basicAuth(client)}\r\nContent-Length: 1000\r\n\r\n`);
    const timer = setInterval(() => void connection.write('a'), 100);
    const closed = await connection.closedWithin(4000);
    clearInterval(timer);
    expect(closed).toBeDefined();
    expect(closed!.afterMs).toBeGreaterThanOrEqual(1900);
    expect(closed!.afterMs).toBeLessThan(3500);
    expect(connection.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('an answered revocation feed stays open past the request timeout', async () => {
    const { access_token } = await clientToken(server, client, 'revocations:read');
    const controller = new AbortController();
    const response = await fetch(`${server.issuer}/revocations/feed`, { headers: { authorization: `Bearer ${access_token}` }, signal: controller.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) return;
        text += Buffer.from(value!).toString('utf8');
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // A revocation made after the timeout still reaches the open stream.
    const { access_token: revoked } = await clientToken(server, client, 'read');
    const answer = await fetch(`${server.issuer}/revoke`, {
      method: 'POST',
      headers: { authorization: basicAuth(client), 'content-type': FORM },
      body: new URLSearchParams({ token: revoked }),
    });
    expect(answer.status).toBe(200);
    const deadline = Date.now() + 3000;
    while (!text.includes('event: revocation') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(text).toContain('event: ready');
    expect(text).toContain('event: revocation');
    controller.abort();
    await reading;
  });

  it('while 50 slow connections are open, discovery and the token endpoint answer as usual', async () => {
    const slow = await Promise.all(Array.from({ length: 50 }, () => RawConnection.open(server.port)));
    await Promise.all(slow.map((connection) => connection.write('GET /.well-known/openid-configuration HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')));
    const timer = setInterval(() => {
      for (const connection of slow) void connection.write('a');
    }, 100);
    try {
      const started = Date.now();
      const discovery = await fetch(`${server.issuer}/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);
      const token = await clientToken(server, client, 'read');
      expect(token.access_token.split('.')).toHaveLength(3);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(slow.filter((connection) => connection.serverEnded)).toEqual([]);
      // And the slow ones are cut at the headers timeout.
      const closed = await Promise.all(slow.map((connection) => connection.endedWithin(3000)));
      expect(closed.every((each) => each !== undefined)).toBe(true);
    } finally {
      clearInterval(timer);
      for (const connection of slow) connection.destroy();
    }
  });
});

describe('MAX_CONNECTIONS', () => {
  let capped: TestServer;
  beforeAll(async () => {
    capped = await startInkan({ env: { MAX_CONNECTIONS: '3' } });
  });
  afterAll(async () => {
    await capped.stop();
  });

  it('closes a connection beyond the cap as it arrives, and takes new ones once others closed', async () => {
    const open = await Promise.all(Array.from({ length: 3 }, () => RawConnection.open(capped.port)));
    const extra = await RawConnection.open(capped.port);
    const dropped = await extra.endedWithin(2000);
    extra.destroy();
    expect(dropped).toBeDefined();
    expect(extra.received).toBe('');
    for (const connection of open) {
      expect(connection.serverEnded).toBe(false);
      connection.destroy();
    }
    await Promise.all(open.map((connection) => connection.closed));
    // The server counts a connection until it has seen it close: a moment after the client did.
    let again: Response | undefined;
    for (let attempt = 0; attempt < 40 && again === undefined; attempt += 1) {
      again = await fetch(`${capped.issuer}/.well-known/openid-configuration`).catch(() => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 25)));
    }
    expect(again?.status).toBe(200);
  });
});
