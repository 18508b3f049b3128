/**
 * The token and JWKS endpoints are answered on node:http directly (src/http/hot-path.ts), not by
 * Koa. This proves they still behave as the Koa endpoints do: HEAD, 405 with `Allow`, CORS and its
 * preflight, a query string, the request id, one access-log line and the request metrics per
 * answer (against a real server); and, against `hotPath` itself with fake endpoints, that a thrown
 * Error becomes a bare 500 logged with the request id, an OAuthError its own status and headers,
 * and a header set before the throw (DPoP-Nonce) survives onto the error answer.
 */
import http, { type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotPath, type HotEndpoint } from '../../src/http/hot-path.js';
import { createRequestLog } from '../../src/http/request-log.js';
import { createLogger } from '../../src/log.js';
import { OAuthError } from '../../src/oauth/errors.js';
import { basicAuth, registerClient, type RegisteredClient } from '../helpers/clients.js';
import { startInkan, type TestServer } from '../helpers/inkan.js';
import { recordTokenResponse } from '../helpers/secrets.js';
import { LogLines, sample, scrape } from '../helpers/operations.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FORM = 'application/x-www-form-urlencoded';
const SERVER_ERROR_BODY = '{"error":"server_error","error_description":"the server could not complete the request"}';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request over node:http, so that any method (HEAD, OPTIONS) and header (Origin) goes out as written. */
function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Content-Length always: node sends a DELETE or OPTIONS body without one, which the server
    // would read as the start of the next request.
    const length: Record<string, string> = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const request = http.request(new URL(path, base), { method, headers: { ...length, ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Every request below carries its own id, so its log line and answer can be told apart. */
let nextId = 0;
const freshId = (label: string) => `${label}-${process.pid}-${(nextId += 1)}`;

/** Asserts an RFC 6749 §5.2 error answer (a HEAD answer has the headers but no body). */
function expectErrorAnswer(reply: Reply, status: number, error: string, method = 'GET'): void {
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status });
  expect(reply.headers['cache-control']).toBe('no-store');
  expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
  if (method === 'HEAD') {
    expect(reply.body).toBe('');
    return;
  }
  const json = JSON.parse(reply.body) as { error: string; error_description: string };
  expect(json.error).toBe(error);
  expect(typeof json.error_description).toBe('string');
  expect(reply.headers['content-length']).toBe(String(Buffer.byteLength(reply.body)));
}

describe('the hot path of a real server', () => {
  const log = new LogLines();
  let server: TestServer;
  let client: RegisteredClient;
  const tokenForm = 'grant_type=client_credentials';

  beforeAll(async () => {
    server = await startInkan({ onLog: log.collect });
    client = await registerClient(server, ['--name', 'svc', '--scope', 'read']);
  });
  afterAll(async () => {
    await server.stop();
  });

  const accessLines = (requestId: string) => log.lines.filter((line) => line.msg === 'request' && line.reqId === requestId);
  const issue = (path: string, headers: Record<string, string> = {}) =>
    send(server.issuer, 'POST', path, { authorization: basicAuth(client), 'content-type': FORM, ...headers }, tokenForm);

  describe('JWKS', () => {
    it('answers HEAD with 200, no body, and the ETag, Content-Type and Content-Length of GET', async () => {
      const get = await send(server.issuer, 'GET', '/jwks');
      const head = await send(server.issuer, 'HEAD', '/jwks');
      expect(get.status).toBe(200);
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
      expect(get.body).not.toBe('');
      expect(head.headers.etag).toBe(get.headers.etag);
      expect(head.headers.etag).toMatch(/^(W\/)?".+"$/);
      expect(get.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
      expect(head.headers['content-length']).toBe(get.headers['content-length']);
      expect(head.headers['content-type']).toBe('application/jwk-set+json');
      expect(head.headers['cache-control']).toBe(get.headers['cache-control']);
    });

    it.each(['POST', 'PUT', 'DELETE'])('%s → 405 invalid_request with Allow: GET, HEAD, no-store and CORS', async (method) => {
      const reply = await send(server.issuer, method, '/jwks', { 'content-type': FORM }, 'x=1');
      expectErrorAnswer(reply, 405, 'invalid_request');
      expect(reply.headers.allow).toBe('GET, HEAD');
      expect(reply.headers['access-control-allow-origin']).toBe('*');
      expect(reply.headers['access-control-expose-headers']).toBe('WWW-Authenticate, DPoP-Nonce, Retry-After');
    });

    it('is still the JWKS endpoint with a query string', async () => {
      const plain = await send(server.issuer, 'GET', '/jwks');
      const queried = await send(server.issuer, 'GET', '/jwks?x=1&y');
      expect(queried.status).toBe(200);
      expect(queried.body).toBe(plain.body);
      expect(queried.headers.etag).toBe(plain.headers.etag);
    });
  });

  describe('the token endpoint', () => {
    it.each(['GET', 'HEAD'])('%s → 405 invalid_request with Allow: POST, no-store and CORS', async (method) => {
      const reply = await send(server.issuer, method, '/token', { authorization: basicAuth(client) });
      expectErrorAnswer(reply, 405, 'invalid_request', method);
      expect(reply.headers.allow).toBe('POST');
      expect(reply.headers['access-control-allow-origin']).toBe('*');
    });

    it('is still the token endpoint with a query string, and logs the path without it', async () => {
      const requestId = freshId('query');
      const reply = await issue('/token?x=1', { 'x-request-id': requestId });
      expect(reply.status).toBe(200);
      const body = JSON.parse(reply.body) as Record<string, unknown>;
      recordTokenResponse(body);
      expect(body).toMatchObject({ token_type: 'Bearer', scope: 'read', expires_in: 900, access_token: expect.any(String) });
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(accessLines(requestId)).toEqual([expect.objectContaining({ method: 'POST', path: '/token', status: 200 })]);
    });

    it('forgives one trailing slash, as Koa does on the other endpoints, and no more', async () => {
      expect((await issue('/token/')).status).toBe(200);
      expect((await send(server.issuer, 'GET', '/jwks/')).status).toBe(200);
      expect((await send(server.issuer, 'GET', '/jwks//')).status).toBe(404);
    });
  });

  describe('CORS', () => {
    it.each(['/token', '/jwks'])('a preflight to %s → 204 with the CORS and preflight headers and no body', async (path) => {
      const reply = await send(server.issuer, 'OPTIONS', path, {
        origin: 'https://spa.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, dpop',
      });
      expect(reply.status).toBe(204);
      expect(reply.body).toBe('');
      expect(reply.headers['access-control-allow-origin']).toBe('*');
      expect(reply.headers['access-control-allow-methods']).toBe('GET, POST');
      expect(reply.headers['access-control-allow-headers']).toBe('Authorization, Content-Type, DPoP');
      expect(reply.headers['access-control-max-age']).toBe('600');
      expect(reply.headers['access-control-allow-credentials']).toBeUndefined();
      expect(reply.headers['content-type']).toBeUndefined();
    });

    it.each([
      ['/token', 'POST'],
      ['/jwks', 'GET, HEAD'],
    ])('a plain OPTIONS to %s (no Access-Control-Request-Method) → 405 with Allow: %s', async (path, allow) => {
      const reply = await send(server.issuer, 'OPTIONS', path, { origin: 'https://spa.example.com' });
      expectErrorAnswer(reply, 405, 'invalid_request');
      expect(reply.headers.allow).toBe(allow);
      expect(reply.headers['access-control-max-age']).toBeUndefined();
    });

    it('answers a token request from another origin with Access-Control-Allow-Origin: *', async () => {
      const reply = await issue('/token', { origin: 'https://spa.example.com' });
      expect(reply.status).toBe(200);
      recordTokenResponse(JSON.parse(reply.body));
      expect(reply.headers['access-control-allow-origin']).toBe('*');
      expect(reply.headers['access-control-expose-headers']).toBe('WWW-Authenticate, DPoP-Nonce, Retry-After');
    });
  });

  describe('request ids and the access log', () => {
    /** Requests of every kind the hot path answers: success, not-modified, each error, preflight, HEAD. */
    const cases: readonly { name: string; method: string; path: string; status: number; headers?: Record<string, string>; body?: string; withClient?: boolean }[] = [
      { name: 'a token issued', method: 'POST', path: '/token', status: 200, withClient: true },
      { name: 'a token request without credentials', method: 'POST', path: '/token', status: 401, headers: { 'content-type': FORM }, body: tokenForm },
      { name: 'a token request with a JSON body', method: 'POST', path: '/token', status: 400, headers: { 'content-type': 'application/json' }, body: '{}' },
      { name: 'HEAD /token', method: 'HEAD', path: '/token', status: 405 },
      { name: 'a token preflight', method: 'OPTIONS', path: '/token', status: 204, headers: { origin: 'https://spa.example.com', 'access-control-request-method': 'POST' } },
      { name: 'GET /jwks', method: 'GET', path: '/jwks', status: 200 },
      { name: 'HEAD /jwks', method: 'HEAD', path: '/jwks', status: 200 },
      { name: 'DELETE /jwks', method: 'DELETE', path: '/jwks', status: 405 },
      { name: 'a plain OPTIONS /jwks', method: 'OPTIONS', path: '/jwks', status: 405 },
    ];

    async function run(testCase: (typeof cases)[number], requestId: string): Promise<Reply> {
      if (testCase.withClient === true) {
        const reply = await issue(testCase.path, { 'x-request-id': requestId });
        recordTokenResponse(JSON.parse(reply.body));
        return reply;
      }
      return send(server.issuer, testCase.method, testCase.path, { ...testCase.headers, 'x-request-id': requestId }, testCase.body);
    }

    it.each(cases)('$name: echoes an acceptable X-Request-Id and writes one access-log line with it', async (testCase) => {
      const requestId = freshId('echo.Id_1');
      const reply = await run(testCase, requestId);
      expect(reply.status).toBe(testCase.status);
      expect(reply.headers['x-request-id']).toBe(requestId);
      const lines = accessLines(requestId);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ msg: 'request', reqId: requestId, method: testCase.method, path: testCase.path, status: testCase.status });
      expect(typeof lines[0]!.ms).toBe('number');
    });

    it.each(cases)('$name: carries X-Content-Type-Options: nosniff', async (testCase) => {
      const reply = await run(testCase, freshId('nosniff'));
      expect(reply.status).toBe(testCase.status);
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
    });

    it('a 304 from the JWKS echoes the id and is logged with status 304', async () => {
      const etag = (await send(server.issuer, 'GET', '/jwks')).headers.etag!;
      const requestId = freshId('etag');
      const reply = await send(server.issuer, 'GET', '/jwks', { 'if-none-match': etag, 'x-request-id': requestId });
      expect(reply.status).toBe(304);
      expect(reply.body).toBe('');
      expect(reply.headers['x-request-id']).toBe(requestId);
      expect(accessLines(requestId)).toEqual([expect.objectContaining({ method: 'GET', path: '/jwks', status: 304 })]);
    });

    it('accepts an id of 64 characters of [A-Za-z0-9._-]', async () => {
      const requestId = `A-z_0.9${'x'.repeat(57)}`;
      expect(requestId).toHaveLength(64);
      expect((await send(server.issuer, 'GET', '/jwks', { 'x-request-id': requestId })).headers['x-request-id']).toBe(requestId);
    });

    it.each([
      ['with spaces', 'bad id with spaces'],
      ['of 65 characters', 'a'.repeat(65)],
      ['of 100 characters', 'b'.repeat(100)],
      ['with a slash', 'a/b'],
      ['with a quote', 'a"b'],
    ])('replaces an offered id %s with a fresh UUID, on answers and errors alike', async (_label, offered) => {
      const answers = [
        await send(server.issuer, 'GET', '/jwks', { 'x-request-id': offered }),
        await send(server.issuer, 'PUT', '/jwks', { 'x-request-id': offered }),
        await send(server.issuer, 'POST', '/token', { 'x-request-id': offered, 'content-type': FORM }, tokenForm),
        await send(server.issuer, 'GET', '/token', { 'x-request-id': offered }),
      ];
      expect(answers.map((reply) => reply.status)).toEqual([200, 405, 401, 405]);
      const ids = answers.map((reply) => reply.headers['x-request-id'] as string);
      for (const id of ids) {
        expect(id).toMatch(UUID);
        expect(accessLines(id)).toHaveLength(1);
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect(log.lines.some((line) => line.reqId === offered)).toBe(false);
    });

    it('gives a request without an id a fresh UUID', async () => {
      const reply = await send(server.issuer, 'GET', '/jwks');
      expect(reply.headers['x-request-id']).toMatch(UUID);
      expect(accessLines(reply.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ method: 'GET', path: '/jwks', status: 200 })]);
    });
  });

  describe('nosniff on the Koa endpoints too', () => {
    it.each([
      ['discovery', 'GET', '/.well-known/openid-configuration', 200],
      ['readiness', 'GET', '/readyz', 200],
      ['health', 'GET', '/healthz', 200],
      ['metrics', 'GET', '/metrics', 200],
      ['userinfo without a token', 'GET', '/userinfo', 401],
      ['revocation without a client', 'POST', '/revoke', 401],
      ['introspection without a client', 'POST', '/introspect', 401],
      ['an unknown path', 'GET', '/no-such-path', 404],
      ['a status list that does not exist', 'GET', '/status-lists/999999', 404],
    ])('%s answers %s %s with nosniff', async (_name, method, path, status) => {
      const reply = await send(server.issuer, method, path, method === 'POST' ? { 'content-type': FORM } : {}, method === 'POST' ? 'token=x' : undefined);
      expect(reply.status).toBe(status);
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
    });
  });

  describe('metrics', () => {
    it('counts every hot-path answer under route="/token" or route="/jwks", by method and status class', async () => {
      const labels = [
        { route: '/token', method: 'POST', status_class: '2xx' },
        { route: '/token', method: 'POST', status_class: '4xx' },
        { route: '/token', method: 'HEAD', status_class: '4xx' },
        { route: '/token', method: 'OPTIONS', status_class: '2xx' },
        { route: '/jwks', method: 'GET', status_class: '2xx' },
        { route: '/jwks', method: 'GET', status_class: '3xx' },
        { route: '/jwks', method: 'HEAD', status_class: '2xx' },
        { route: '/jwks', method: 'DELETE', status_class: '4xx' },
        { route: 'unmatched', method: 'POST', status_class: '4xx' },
        { route: 'unmatched', method: 'GET', status_class: '4xx' },
      ];
      const counts = (text: string, name: string) => labels.map((set) => sample(text, name, set) ?? 0);
      // /metrics is open: this server has no METRICS_TOKEN (src/http/endpoints/metrics.ts).
      const before = await scrape(server);

      const issued = await issue('/token?x=1');
      recordTokenResponse(JSON.parse(issued.body));
      const replies = [
        issued,
        await issue('/token'),
        await send(server.issuer, 'POST', '/token', { 'content-type': FORM }, tokenForm),
        await send(server.issuer, 'HEAD', '/token'),
        await send(server.issuer, 'OPTIONS', '/token', { origin: 'https://spa.example.com', 'access-control-request-method': 'POST' }),
        await send(server.issuer, 'GET', '/jwks'),
        await send(server.issuer, 'GET', '/jwks', { 'if-none-match': (await send(server.issuer, 'HEAD', '/jwks')).headers.etag! }),
        await send(server.issuer, 'DELETE', '/jwks'),
      ];
      recordTokenResponse(JSON.parse(replies[1]!.body));
      expect(replies.map((reply) => reply.status)).toEqual([200, 200, 401, 405, 204, 200, 304, 405]);

      const after = await scrape(server);
      const expected = [2, 1, 1, 1, 1, 1, 1, 1, 0, 0];
      const plus = (base: number[]) => base.map((value, index) => value + expected[index]!);
      expect(counts(after, 'inkan_http_requests_total')).toEqual(plus(counts(before, 'inkan_http_requests_total')));
      expect(counts(after, 'inkan_http_request_duration_seconds_count')).toEqual(plus(counts(before, 'inkan_http_request_duration_seconds_count')));
    });
  });
});

describe('hotPath itself, with fake endpoints', () => {
  const lines: Record<string, unknown>[] = [];
  const observed: { route: string | undefined; method: string; status: number }[] = [];
  let base: string;
  let listener: http.Server;

  const THROWN_MESSAGE = 'connection to db-7 refused: user=inkan_rw';

  const fake = (path: string, answer: HotEndpoint['answer'], methods: HotEndpoint['methods'] = ['POST']): HotEndpoint => ({
    path,
    methods,
    name: `the ${path} endpoint`,
    cors: true,
    answer,
  });

  const endpoints: HotEndpoint[] = [
    fake('/throws', () => {
      throw new Error(THROWN_MESSAGE);
    }),
    fake('/rejects', async () => {
      await Promise.resolve();
      throw new Error(THROWN_MESSAGE);
    }),
    fake('/oauth-error', () => {
      throw new OAuthError('invalid_token', 'the access token has expired', {
        status: 401,
        headers: { 'WWW-Authenticate': 'Bearer realm="inkan", error="invalid_token"' },
      });
    }),
    fake('/nonce-then-oauth-error', ({ setHeader }) => {
      setHeader('DPoP-Nonce', 'nonce-before-oauth-error');
      throw new OAuthError('use_dpop_nonce', 'the proof must carry the server nonce', { headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"' } });
    }),
    fake('/nonce-then-error-with-nonce', ({ setHeader }) => {
      setHeader('DPoP-Nonce', 'nonce-set-first');
      throw new OAuthError('use_dpop_nonce', 'the proof must carry the server nonce', { headers: { 'DPoP-Nonce': 'nonce-of-the-error' } });
    }),
    fake('/nonce-then-error', async ({ setHeader }) => {
      setHeader('DPoP-Nonce', 'nonce-before-plain-error');
      throw new Error(THROWN_MESSAGE);
    }),
    fake('/nonce-then-ok', ({ setHeader, requestId, clientAddress }) => {
      setHeader('DPoP-Nonce', 'nonce-on-success');
      return { status: 200, json: { requestId, clientAddress } };
    }),
    fake('/bad-header', () => ({ status: 200, headers: { 'X-Broken': 'line\nbreak' }, json: { ok: true } })),
  ];

  beforeAll(async () => {
    const logger = createLogger('info', {
      write(chunk: string) {
        for (const line of chunk.split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    });
    const requestLog = createRequestLog(logger, (route, method, status) => observed.push({ route, method, status }));
    const fallback: RequestListener = (_req, res) => {
      res.writeHead(418, { 'content-type': 'text/plain' });
      res.end('fallback');
    };
    listener = http.createServer(hotPath(endpoints, { requestLog, log: logger, trustedProxyHops: 0 }, fallback));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => listener.close(resolve));
  });

  const errorLines = (requestId: string) => lines.filter((line) => (line.level as number) >= 50 && line.reqId === requestId);
  const accessLines = (requestId: string) => lines.filter((line) => line.msg === 'request' && line.reqId === requestId);

  it.each(['/throws', '/rejects'])('an endpoint that throws a plain Error (%s) → a bare 500, the error logged once with the request id', async (path) => {
    const requestId = freshId('boom');
    const reply = await send(base, 'POST', path, { 'x-request-id': requestId });
    expect(reply.status).toBe(500);
    expect(reply.body).toBe(SERVER_ERROR_BODY);
    expect(reply.body).not.toContain('db-7');
    expect(reply.body).not.toContain('inkan_rw');
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers['x-request-id']).toBe(requestId);
    expect(reply.headers['access-control-allow-origin']).toBe('*');

    const logged = errorLines(requestId);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 50, msg: 'unexpected error', reqId: requestId, err: { message: THROWN_MESSAGE } });
    expect(accessLines(requestId)).toEqual([expect.objectContaining({ method: 'POST', path, status: 500 })]);
    expect(observed.at(-1)).toEqual({ route: path, method: 'POST', status: 500 });
  });

  it('an endpoint that throws an OAuthError → its status, its header and its JSON, and no error log line', async () => {
    const requestId = freshId('oauth');
    const reply = await send(base, 'POST', '/oauth-error', { 'x-request-id': requestId });
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Bearer realm="inkan", error="invalid_token"');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(reply.body)).toEqual({ error: 'invalid_token', error_description: 'the access token has expired' });
    expect(reply.headers['x-request-id']).toBe(requestId);
    expect(errorLines(requestId)).toEqual([]);
    expect(accessLines(requestId)).toEqual([expect.objectContaining({ method: 'POST', path: '/oauth-error', status: 401 })]);
  });

  it('keeps a DPoP-Nonce the endpoint set before throwing an OAuthError', async () => {
    const reply = await send(base, 'POST', '/nonce-then-oauth-error');
    expect(reply.status).toBe(400);
    expect(reply.headers['dpop-nonce']).toBe('nonce-before-oauth-error');
    expect(reply.headers['www-authenticate']).toBe('DPoP error="use_dpop_nonce"');
    expect(JSON.parse(reply.body)).toEqual({ error: 'use_dpop_nonce', error_description: 'the proof must carry the server nonce' });
  });

  it("sends one DPoP-Nonce, the error's own, when the error names one too", async () => {
    const reply = await send(base, 'POST', '/nonce-then-error-with-nonce');
    expect(reply.status).toBe(400);
    // Two headers would reach the client joined ("a, b"), which is no nonce at all.
    expect(reply.headers['dpop-nonce']).toBe('nonce-of-the-error');
  });

  it('keeps a DPoP-Nonce the endpoint set before throwing a plain Error', async () => {
    const reply = await send(base, 'POST', '/nonce-then-error');
    expect(reply.status).toBe(500);
    expect(reply.headers['dpop-nonce']).toBe('nonce-before-plain-error');
    expect(reply.body).toBe(SERVER_ERROR_BODY);
  });

  it('sends a header set by the endpoint with its answer, and gives it the request id and client address', async () => {
    const requestId = freshId('ok');
    const reply = await send(base, 'POST', '/nonce-then-ok?with=query', { 'x-request-id': requestId, 'x-forwarded-for': '203.0.113.5' });
    expect(reply.status).toBe(200);
    expect(reply.headers['dpop-nonce']).toBe('nonce-on-success');
    // trustedProxyHops is 0: X-Forwarded-For is ignored.
    expect(JSON.parse(reply.body)).toEqual({ requestId, clientAddress: '127.0.0.1' });
    expect(accessLines(requestId)).toEqual([expect.objectContaining({ path: '/nonce-then-ok', status: 200 })]);
  });

  it('answers a header node refuses with a bare 500 that still carries the request id and CORS headers', async () => {
    const requestId = freshId('bad-header');
    const reply = await send(base, 'POST', '/bad-header', { 'x-request-id': requestId });
    expect(reply.status).toBe(500);
    expect(reply.body).toBe(SERVER_ERROR_BODY);
    expect(reply.headers['x-broken']).toBeUndefined();
    expect(reply.headers['x-request-id']).toBe(requestId);
    expect(reply.headers['access-control-allow-origin']).toBe('*');
    expect(errorLines(requestId)).toHaveLength(1);
    expect(accessLines(requestId)).toEqual([expect.objectContaining({ status: 500 })]);
  });

  it('refuses a method the endpoint does not list with 405 and Allow, before the endpoint runs', async () => {
    const requestId = freshId('method');
    const reply = await send(base, 'GET', '/throws', { 'x-request-id': requestId });
    expectErrorAnswer(reply, 405, 'invalid_request');
    expect(reply.headers.allow).toBe('POST');
    expect(JSON.parse(reply.body)).toEqual({ error: 'invalid_request', error_description: 'the /throws endpoint accepts only POST' });
    expect(errorLines(requestId)).toEqual([]);
  });

  it('hands every other path to the fallback, and logs nothing for it', async () => {
    const count = lines.length;
    const reply = await send(base, 'POST', '/throws/more', { 'x-request-id': freshId('fallback') });
    expect(reply.status).toBe(418);
    expect(reply.body).toBe('fallback');
    expect(reply.headers['x-request-id']).toBeUndefined();
    expect(lines.length).toBe(count);
  });
});
