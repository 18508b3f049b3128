/**
 * The route table (src/http/routes.ts) and the rules the front door (src/http/front-door.ts)
 * applies to every row, tested once, row by row, on a real server with every row in it (ADMIN_API
 * on), hot-path rows and Koa rows alike: 405 with `Allow` and the row's name for a method it does
 * not list (OPTIONS and unknown methods included), HEAD for GET, CORS headers and preflights on
 * the open rows only, one trailing slash forgiven and no more, the query string ignored, the path
 * compared case and all.
 *
 * Then what the hot path writes itself, which Koa's middleware writes for the other rows: the
 * request id, one access-log line, nosniff and the request metrics per answer; and, through a
 * front door over fake rows, how it renders what a handler throws and what it hands to Koa.
 */
import http, { type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontDoor } from '../../src/http/front-door.js';
import type { HotHandler } from '../../src/http/hot-path.js';
import { createRequestLog } from '../../src/http/request-log.js';
import { isHotRoute, type Route } from '../../src/http/route.js';
import { routeTable } from '../../src/http/routes.js';
import { createLogger } from '../../src/log.js';
import { OAuthError } from '../../src/oauth/errors.js';
import { basicAuth, registerClient, type RegisteredClient } from '../helpers/clients.js';
import { startInkan, type TestServer } from '../helpers/inkan.js';
import { recordTokenResponse } from '../helpers/secrets.js';
import { LogLines, sample, scrape } from '../helpers/operations.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FORM = 'application/x-www-form-urlencoded';
const SERVER_ERROR_BODY = '{"error":"server_error","error_description":"the server could not complete the request"}';
const ORIGIN = 'https://spa.example.com';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request over node:http, so that any method (HEAD, OPTIONS, PROPFIND) and header goes out as written. */
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

function expectCors(reply: Reply, open: boolean): void {
  expect(reply.headers['access-control-allow-origin']).toBe(open ? '*' : undefined);
  expect(reply.headers['access-control-expose-headers']).toBe(open ? 'WWW-Authenticate, DPoP-Nonce, Retry-After' : undefined);
  expect(reply.headers['access-control-allow-credentials']).toBeUndefined();
}

describe('every row of the route table, on a real server', () => {
  let server: TestServer;
  let rows: readonly Route[];

  beforeAll(async () => {
    server = await startInkan({ env: { ADMIN_API: 'on' } });
    rows = routeTable(server.deps, { accepting: true });
  });
  afterAll(async () => {
    await server.stop();
  });

  /** A path the row answers: its `:name` segments filled in. */
  const pathOf = (row: Route) => row.path.replace(/:[A-Za-z]+/g, 'x');
  const methodsOf = (row: Route) => Object.keys(isHotRoute(row) ? row.hot : row.koa);
  /** RFC 9110 §15.5.6: what the row answers, GET with HEAD first. */
  const allowOf = (row: Route) => {
    const listed = methodsOf(row);
    return (listed.includes('GET') ? ['GET', 'HEAD', ...listed.filter((method) => method !== 'GET')] : listed).join(', ');
  };
  const eachRow = (test: (row: Route) => Promise<void>) => async () => {
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) await test(row);
  };

  it('lists every endpoint once, the hot path answering the token endpoint and the JWKS', () => {
    expect(new Set(rows.map((row) => row.path)).size).toBe(rows.length);
    expect(rows.filter(isHotRoute).map((row) => row.path)).toEqual(['/token', '/jwks']);
    const allow = Object.fromEntries(rows.map((row) => [row.path, allowOf(row)]));
    expect(allow).toMatchObject({ '/token': 'POST', '/jwks': 'GET, HEAD', '/userinfo': 'GET, HEAD, POST', '/revoke': 'POST', '/admin/v1/clients/:clientId': 'DELETE' });
    const open = rows.filter((row) => row.cors === 'open').map((row) => row.path);
    expect(open).toEqual([
      '/token', '/jwks', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/userinfo', '/revoke', '/device/authorization',
      '/.well-known/ssf-configuration',
    ]);
  });

  it('documents exactly the admin rows, with their methods, in the OpenAPI document of the admin API', async () => {
    const document = JSON.parse((await send(server.issuer, 'GET', '/admin/v1/openapi.json')).body) as { paths: Record<string, Record<string, unknown>> };
    const shape = (methods: string[], path: string) => `${methods.map((method) => method.toUpperCase()).sort().join(',')} ${path.replace(/:\w+|\{\w+\}/g, '{}')}`;
    const documented = Object.entries(document.paths).map(([path, operations]) => shape(Object.keys(operations), `/admin/v1${path}`));
    const routed = rows.filter((row) => row.path.startsWith('/admin/v1/')).map((row) => shape(methodsOf(row), row.path));
    expect(routed.length).toBeGreaterThan(5);
    expect(routed.sort()).toEqual(documented.sort());
  });

  it(
    'refuses every method a row does not list with 405, Allow, its name and RFC 6749 JSON, before its handler runs',
    eachRow(async (row) => {
      const allow = allowOf(row).split(', ');
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'].filter((each) => !allow.includes(each))) {
        const requestId = freshId('refused');
        const reply = await send(server.issuer, method, pathOf(row), { origin: ORIGIN, 'x-request-id': requestId });
        expectErrorAnswer(reply, 405, 'invalid_request', method);
        expect(reply.headers.allow, `${method} ${row.path}`).toBe(allowOf(row));
        if (method !== 'HEAD') expect(JSON.parse(reply.body).error_description).toBe(`${row.name} accepts only ${allowOf(row)}`);
        expect(reply.headers['x-request-id']).toBe(requestId);
        expect(reply.headers['x-content-type-options']).toBe('nosniff');
        expectCors(reply, row.cors === 'open');
      }
    }),
  );

  it(
    'answers HEAD like GET on a row with GET: same status and headers, no body',
    eachRow(async (row) => {
      if (!methodsOf(row).includes('GET')) return;
      const get = await send(server.issuer, 'GET', pathOf(row), { origin: ORIGIN });
      const head = await send(server.issuer, 'HEAD', pathOf(row), { origin: ORIGIN });
      expect(head.status, row.path).toBe(get.status);
      expect(head.body).toBe('');
      expect(head.headers['content-type']).toBe(get.headers['content-type']);
      expect(head.headers['cache-control']).toBe(get.headers['cache-control']);
      expectCors(get, row.cors === 'open');
      expectCors(head, row.cors === 'open');
    }),
  );

  it(
    'answers a preflight with 204 and the preflight headers on an open row, and with 405 without CORS on any other',
    eachRow(async (row) => {
      const reply = await send(server.issuer, 'OPTIONS', pathOf(row), {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, dpop',
      });
      expectCors(reply, row.cors === 'open');
      if (row.cors === 'none') {
        expect(reply.status, row.path).toBe(405);
        return;
      }
      expect(reply.status, row.path).toBe(204);
      expect(reply.body).toBe('');
      expect(reply.headers['access-control-allow-methods']).toBe('GET, POST');
      expect(reply.headers['access-control-allow-headers']).toBe('Authorization, Content-Type, DPoP');
      expect(reply.headers['access-control-max-age']).toBe('600');
      expect(reply.headers['content-type']).toBeUndefined();
    }),
  );

  it(
    'finds a row with one trailing slash or a query string, and none with two slashes or another case',
    eachRow(async (row) => {
      const refused = (reply: Reply) => ({ status: reply.status, body: reply.body });
      const expected = { status: 405, body: expect.stringContaining(`${row.name} accepts only`) };
      // A method no row accepts (the Shared Signals configuration endpoint accepts PUT and PATCH).
      expect(refused(await send(server.issuer, 'PROPFIND', `${pathOf(row)}/`)), `${row.path}/`).toMatchObject(expected);
      expect(refused(await send(server.issuer, 'PROPFIND', `${pathOf(row)}?x=1&y`))).toMatchObject(expected);
      expect((await send(server.issuer, 'PROPFIND', `${pathOf(row)}//`)).status, `${row.path}//`).toBe(404);
      expect((await send(server.issuer, 'PROPFIND', pathOf(row).toUpperCase())).status, row.path.toUpperCase()).toBe(404);
      const preflight = await send(server.issuer, 'OPTIONS', `${pathOf(row)}/`, { origin: ORIGIN, 'access-control-request-method': 'POST' });
      expect(preflight.status).toBe(row.cors === 'open' ? 204 : 405);
    }),
  );

  it('answers a path of no row with 404 and nosniff, whatever the method', async () => {
    for (const method of ['GET', 'POST', 'PROPFIND']) {
      const reply = await send(server.issuer, method, '/no-such-path');
      expect(reply.status).toBe(404);
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expectCors(reply, false);
    }
  });
});

describe('what the hot path writes itself', () => {
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

  it('answers HEAD /jwks with the Content-Length and ETag of GET', async () => {
    const get = await send(server.issuer, 'GET', '/jwks');
    const head = await send(server.issuer, 'HEAD', '/jwks');
    expect(get.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers.etag).toBe(get.headers.etag);
  });

  /** Answers of every kind the hot path writes: success, each error, a refused method, a preflight, HEAD. */
  const cases: readonly { name: string; method: string; path: string; status: number; headers?: Record<string, string>; body?: string; withClient?: boolean }[] = [
    { name: 'a token issued, to a URL with a query string', method: 'POST', path: '/token?x=1', status: 200, withClient: true },
    { name: 'a token request without credentials', method: 'POST', path: '/token', status: 401, headers: { 'content-type': FORM }, body: tokenForm },
    { name: 'a token request with a JSON body', method: 'POST', path: '/token', status: 400, headers: { 'content-type': 'application/json' }, body: '{}' },
    { name: 'HEAD /token', method: 'HEAD', path: '/token', status: 405 },
    { name: 'a token preflight', method: 'OPTIONS', path: '/token', status: 204, headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } },
    { name: 'HEAD /jwks', method: 'HEAD', path: '/jwks', status: 200 },
    { name: 'PUT /userinfo (refused for a Koa row)', method: 'PUT', path: '/userinfo', status: 405 },
  ];

  it.each(cases)('$name: echoes an acceptable X-Request-Id, carries nosniff, and writes one access-log line without the query', async (testCase) => {
    const requestId = freshId('echo.Id_1');
    let reply: Reply;
    if (testCase.withClient === true) {
      reply = await issue(testCase.path, { 'x-request-id': requestId });
      const body = JSON.parse(reply.body) as Record<string, unknown>;
      recordTokenResponse(body);
      expect(body).toMatchObject({ token_type: 'Bearer', scope: 'read', expires_in: 900, access_token: expect.any(String) });
    } else {
      reply = await send(server.issuer, testCase.method, testCase.path, { ...testCase.headers, 'x-request-id': requestId }, testCase.body);
    }
    expect(reply.status).toBe(testCase.status);
    expect(reply.headers['x-request-id']).toBe(requestId);
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    const lines = accessLines(requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request', reqId: requestId, method: testCase.method, path: testCase.path.split('?')[0], status: testCase.status });
    expect(typeof lines[0]!.ms).toBe('number');
  });

  it.each([
    ['of 64 characters of [A-Za-z0-9._-]', `A-z_0.9${'x'.repeat(57)}`, true],
    ['with spaces', 'bad id with spaces', false],
    ['of 65 characters', 'a'.repeat(65), false],
    ['with a slash', 'a/b', false],
    ['with a quote', 'a"b', false],
  ])('an offered id %s is kept, or replaced by a fresh UUID, on answers and errors alike', async (_label, offered, kept) => {
    const answers = [
      await send(server.issuer, 'GET', '/jwks', { 'x-request-id': offered }),
      await send(server.issuer, 'PUT', '/jwks', { 'x-request-id': offered }),
      await send(server.issuer, 'POST', '/token', { 'x-request-id': offered, 'content-type': FORM }, tokenForm),
    ];
    expect(answers.map((reply) => reply.status)).toEqual([200, 405, 401]);
    const ids = answers.map((reply) => reply.headers['x-request-id'] as string);
    if (kept) {
      expect(ids).toEqual([offered, offered, offered]);
      return;
    }
    for (const id of ids) {
      expect(id).toMatch(UUID);
      expect(accessLines(id)).toHaveLength(1);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(log.lines.some((line) => line.reqId === offered)).toBe(false);
  });

  it('counts its answers under the route table path, by method and status class; refused methods of Koa rows too', async () => {
    const labels = [
      { route: '/token', method: 'POST', status_class: '2xx' },
      { route: '/token', method: 'POST', status_class: '4xx' },
      { route: '/token', method: 'HEAD', status_class: '4xx' },
      { route: '/token', method: 'OPTIONS', status_class: '2xx' },
      { route: '/jwks', method: 'GET', status_class: '2xx' },
      { route: '/jwks', method: 'GET', status_class: '3xx' },
      { route: '/jwks', method: 'DELETE', status_class: '4xx' },
      { route: '/userinfo', method: 'PUT', status_class: '4xx' },
      { route: 'unmatched', method: 'POST', status_class: '4xx' },
    ];
    const counts = (text: string, name: string) => labels.map((set) => sample(text, name, set) ?? 0);
    // /metrics is open: this server has no METRICS_TOKEN (src/http/endpoints/metrics.ts).
    const before = await scrape(server);

    const issued = await issue('/token/?x=1');
    recordTokenResponse(JSON.parse(issued.body));
    const replies = [
      issued,
      await send(server.issuer, 'POST', '/token', { 'content-type': FORM }, tokenForm),
      await send(server.issuer, 'HEAD', '/token'),
      await send(server.issuer, 'OPTIONS', '/token', { origin: ORIGIN, 'access-control-request-method': 'POST' }),
      await send(server.issuer, 'GET', '/jwks'),
      await send(server.issuer, 'GET', '/jwks', { 'if-none-match': (await send(server.issuer, 'HEAD', '/jwks')).headers.etag! }),
      await send(server.issuer, 'DELETE', '/jwks'),
      await send(server.issuer, 'PUT', '/userinfo'),
    ];
    expect(replies.map((reply) => reply.status)).toEqual([200, 401, 405, 204, 200, 304, 405, 405]);

    const after = await scrape(server);
    const expected = [1, 1, 1, 1, 1, 1, 1, 1, 0];
    const plus = (base: number[]) => base.map((value, index) => value + expected[index]!);
    expect(counts(after, 'inkan_http_requests_total')).toEqual(plus(counts(before, 'inkan_http_requests_total')));
    expect(counts(after, 'inkan_http_request_duration_seconds_count')).toEqual(plus(counts(before, 'inkan_http_request_duration_seconds_count')));
  });
});

describe('a front door over fake rows', () => {
  const lines: Record<string, unknown>[] = [];
  const observed: { route: string | undefined; method: string; status: number }[] = [];
  const handedToKoa: { url: string; cors: unknown }[] = [];
  let base: string;
  let listener: http.Server;

  const THROWN_MESSAGE = 'connection to db-7 refused: user=inkan_rw';
  const fake = (path: string, handler: HotHandler): Route => ({ path, name: `the ${path} endpoint`, cors: 'open', hot: { POST: handler } });

  const rows: Route[] = [
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
    // Koa's handlers run behind the door; the fake "Koa" below records what reaches it.
    { path: '/koa-row/:id', name: 'the Koa row', cors: 'open', koa: { GET: () => undefined } },
  ];

  beforeAll(async () => {
    const logger = createLogger('info', {
      write(chunk: string) {
        for (const line of chunk.split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    });
    const requestLog = createRequestLog(logger, (route, method, status) => observed.push({ route, method, status }));
    const koa: RequestListener = (req, res) => {
      handedToKoa.push({ url: req.url!, cors: res.getHeader('access-control-allow-origin') });
      res.writeHead(418, { 'content-type': 'text/plain' });
      res.end('koa');
    };
    listener = http.createServer(frontDoor(rows, { requestLog, log: logger, trustedProxyHops: 0 }, koa));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => listener.close(resolve));
  });

  const errorLines = (requestId: string) => lines.filter((line) => (line.level as number) >= 50 && line.reqId === requestId);
  const accessLines = (requestId: string) => lines.filter((line) => line.msg === 'request' && line.reqId === requestId);

  it.each(['/throws', '/rejects'])('a handler that throws a plain Error (%s) → a bare 500, the error logged once with the request id', async (path) => {
    const requestId = freshId('boom');
    const reply = await send(base, 'POST', path, { 'x-request-id': requestId });
    expect(reply.status).toBe(500);
    expect(reply.body).toBe(SERVER_ERROR_BODY);
    expect(reply.body).not.toContain('db-7');
    expect(reply.body).not.toContain('inkan_rw');
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers['x-request-id']).toBe(requestId);
    expectCors(reply, true);

    const logged = errorLines(requestId);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 50, msg: 'unexpected error', reqId: requestId, err: { message: THROWN_MESSAGE } });
    expect(accessLines(requestId)).toEqual([expect.objectContaining({ method: 'POST', path, status: 500 })]);
    expect(observed.at(-1)).toEqual({ route: path, method: 'POST', status: 500 });
  });

  it('a handler that throws an OAuthError → its status, its header and its JSON, and no error log line', async () => {
    const requestId = freshId('oauth');
    const reply = await send(base, 'POST', '/oauth-error', { 'x-request-id': requestId });
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Bearer realm="inkan", error="invalid_token"');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(reply.body)).toEqual({ error: 'invalid_token', error_description: 'the access token has expired' });
    expect(errorLines(requestId)).toEqual([]);
    expect(accessLines(requestId)).toEqual([expect.objectContaining({ method: 'POST', path: '/oauth-error', status: 401 })]);
  });

  it.each([
    ['an OAuthError', '/nonce-then-oauth-error', 400, 'nonce-before-oauth-error'],
    // Two headers would reach the client joined ("a, b"), which is no nonce at all.
    ["an OAuthError with a nonce of its own (the error's is sent, once)", '/nonce-then-error-with-nonce', 400, 'nonce-of-the-error'],
    ['a plain Error', '/nonce-then-error', 500, 'nonce-before-plain-error'],
  ])('keeps a DPoP-Nonce the handler set before throwing %s', async (_label, path, status, nonce) => {
    const reply = await send(base, 'POST', path);
    expect(reply.status).toBe(status);
    expect(reply.headers['dpop-nonce']).toBe(nonce);
    if (status === 500) expect(reply.body).toBe(SERVER_ERROR_BODY);
    else expect(JSON.parse(reply.body)).toEqual({ error: 'use_dpop_nonce', error_description: 'the proof must carry the server nonce' });
  });

  it('sends a header set by the handler with its answer, and gives it the request id and client address', async () => {
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
    expectCors(reply, true);
    expect(errorLines(requestId)).toHaveLength(1);
    expect(accessLines(requestId)).toEqual([expect.objectContaining({ status: 500 })]);
  });

  it('hands an accepted request of a Koa row to Koa, with its CORS headers set; never a refused one, and logs nothing for it', async () => {
    const count = lines.length;
    const accepted = await send(base, 'GET', '/koa-row/7?q=1', { 'x-request-id': freshId('koa') });
    expect(accepted.status).toBe(418);
    expect(handedToKoa).toEqual([{ url: '/koa-row/7?q=1', cors: '*' }]);
    expect(lines.length).toBe(count);
    const refused = await send(base, 'POST', '/koa-row/7');
    expect(refused.status).toBe(405);
    expect(JSON.parse(refused.body)).toEqual({ error: 'invalid_request', error_description: 'the Koa row accepts only GET, HEAD' });
    expect(observed.at(-1)).toEqual({ route: '/koa-row/:id', method: 'POST', status: 405 });
    expect(handedToKoa).toHaveLength(1);
  });

  it('hands a path of no row to Koa untouched', async () => {
    const reply = await send(base, 'POST', '/throws/more');
    expect(reply.status).toBe(418);
    expect(handedToKoa.at(-1)).toEqual({ url: '/throws/more', cors: undefined });
  });
});
