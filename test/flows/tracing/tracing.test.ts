/**
 * OpenTelemetry tracing, watched from outside: `node dist/src/main.js` with the OTEL_* variables
 * of an operator, exporting OTLP/HTTP (`http/json`) to a receiver in the test (otlp-sink.ts).
 *
 * - A token request is one SERVER span `HTTP POST /token` with the route, the status and the
 *   authenticated client's id, and its database statements and its signature are child spans in
 *   the same trace.
 * - An incoming W3C `traceparent` is continued: same trace id, the caller's span as parent.
 * - A private_key_jwt client's jwks_uri is fetched in a CLIENT span of the token request, and the
 *   fetch carries that span's `traceparent`.
 * - A sign-in has a `password verify` span under `HTTP POST /login`.
 * - No span holds the client secret, the password, the token or the session cookie.
 * - The access line of a traced request carries its `trace_id` and `span_id`.
 * - The protobuf protocol (the default) posts `application/x-protobuf` to `/v1/traces`.
 * - Off: with no OTEL variable (and with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true next
 *   to an endpoint) nothing reaches the receiver, the access lines carry no trace id, and in a
 *   server started in this process the global tracer provider is the API's no-op.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startInkan, testEnv } from '../../helpers/inkan.js';
import { freePort } from '../../helpers/postgres-server.js';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { assertion, ASSERTION_TYPE, keyPair, postForm } from '../../helpers/asymmetric.js';
import { authorizeUrl, createUser, HttpBrowser, PKCE_CHALLENGE, signIn } from '../../helpers/people.js';
import { recordSecrets } from '../../helpers/secrets.js';
import { eventually } from '../../helpers/eventually.js';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { startOtlpSink, type OtlpSink, type ReceivedSpan } from './otlp-sink.js';

const SERVER = 2;
const CLIENT_KIND = 3;
const REDIRECT = 'http://127.0.0.1:9/cb';
const PASSWORD = 'tracing-password-1';

/** A fresh folder, port and issuer, with `otel` added to the environment. */
async function environment(otel: Record<string, string>) {
  const { dir, env } = testEnv(otel);
  const port = await freePort();
  return { dir, env: { ...env, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}` } };
}

async function createClient(env: Record<string, string>, dir: string, args: readonly string[]): Promise<RegisteredClient> {
  const created = await runCli(['clients', 'create', ...args], { env, cwd: dir });
  expect(created.code, created.stderr).toBe(0);
  return created.json<RegisteredClient>();
}

async function tokenRequest(issuer: string, client: RegisteredClient, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: 'grant_type=client_credentials&scope=api',
  });
  const body = (await response.json()) as { access_token: string };
  expect(response.status).toBe(200);
  recordSecrets(body.access_token);
  return body.access_token;
}

interface AccessLine {
  readonly msg: string;
  readonly method?: string;
  readonly path?: string;
  readonly reqId?: string;
  readonly trace_id?: string;
  readonly span_id?: string;
}

function accessLines(server: ServerProcess): AccessLine[] {
  return fs
    .readFileSync(server.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as AccessLine)
    .filter((line) => line.msg === 'request');
}

/** The access line `matches` picks, once the server's buffered log (flushed every second) holds it. */
async function accessLine(server: ServerProcess, matches: (line: AccessLine) => boolean): Promise<AccessLine> {
  let found: AccessLine | undefined;
  await eventually(() => (found = accessLines(server).findLast(matches)) !== undefined, 10_000, 50);
  return found!;
}

afterAll(() => killServerProcesses());

describe('with an OTLP/HTTP exporter (http/json)', () => {
  let sink: OtlpSink;
  let server: ServerProcess;
  let client: RegisteredClient;
  let codeClient: RegisteredClient;

  beforeAll(async () => {
    sink = await startOtlpSink();
    const { dir, env } = await environment({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    });
    client = await createClient(env, dir, ['--name', 'traced', '--scope', 'api']);
    codeClient = await createClient(env, dir, ['--name', 'traced pages', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid']);
    server = await startServerProcess(dir, env);
    await createUser(server, 'traced@example.com', PASSWORD);
  });
  afterAll(async () => {
    await server?.kill('SIGTERM');
    await sink?.close();
  });

  /** The spans of one trace, once its server span (named `name`) and `more` have arrived. */
  async function traceOf(traceId: string, name: string, more: (spans: ReceivedSpan[]) => boolean = () => true): Promise<{ root: ReceivedSpan; spans: ReceivedSpan[] }> {
    await eventually(() => {
      const spans = sink.spans.filter((span) => span.traceId === traceId);
      return spans.some((span) => span.name === name && span.kind === SERVER) && more(spans);
    }, 20_000, 50);
    const spans = sink.spans.filter((span) => span.traceId === traceId);
    return { root: spans.find((span) => span.name === name && span.kind === SERVER)!, spans };
  }

  it('makes a token request one server span with the route, status and client id, its statements and signature child spans', async () => {
    const requestId = crypto.randomUUID();
    const token = await tokenRequest(server.issuer, client, { 'x-request-id': requestId });
    const line = await accessLine(server, (each) => each.reqId === requestId);
    expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const { root, spans } = await traceOf(line.trace_id!, 'HTTP POST /token', (found) => found.some((span) => span.name === 'sign at+jwt'));

    expect(root.parentSpanId).toBe('');
    expect(root.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/token',
      'url.path': '/token',
      'http.response.status_code': 200,
      'inkan.client_id': client.client_id,
      'inkan.request_id': line.reqId,
    });
    expect(root.resource).toMatchObject({ 'service.name': 'inkan', 'deployment.environment.name': 'test' });

    const children = spans.filter((span) => span.parentSpanId === root.spanId);
    const statement = children.find((span) => span.attributes['db.system'] === 'sqlite' && span.attributes['db.collection.name'] === 'clients');
    expect(statement, `children: ${children.map((span) => span.name).join(', ')}`).toBeDefined();
    expect(statement!.name).toBe('SELECT clients');
    expect(statement!.attributes).toMatchObject({ 'db.system.name': 'sqlite', 'db.operation.name': 'SELECT' });
    // The statement as prepared: placeholders, never the bound client id.
    expect(statement!.attributes['db.query.text']).toMatch(/^select .*\?/i);
    expect(String(statement!.attributes['db.query.text'])).not.toContain(client.client_id);
    const signature = children.find((span) => span.name === 'sign at+jwt')!;
    expect(signature.attributes).toMatchObject({ 'inkan.jwt.typ': 'at+jwt' });
    expect(signature.attributes['inkan.jwt.alg']).toMatch(/^(RS256|EdDSA|ES256)$/);
    expect(JSON.stringify(spans)).not.toContain(token);
  });

  it('continues the trace of an incoming traceparent: same trace id, the caller as parent', async () => {
    const traceId = crypto.randomBytes(16).toString('hex');
    const parentId = crypto.randomBytes(8).toString('hex');
    await tokenRequest(server.issuer, client, { traceparent: `00-${traceId}-${parentId}-01` });
    const { root } = await traceOf(traceId, 'HTTP POST /token');
    expect(root.parentSpanId).toBe(parentId);
    expect(root.attributes['inkan.client_id']).toBe(client.client_id);
    const line = await accessLine(server, (each) => each.trace_id === traceId);
    expect(line).toMatchObject({ path: '/token', trace_id: traceId, span_id: root.spanId });
  });

  it('fetches a private_key_jwt client\'s jwks_uri in a client span of the token request, sending its traceparent', async () => {
    const key = await keyPair('ES256');
    const received: (string | undefined)[] = [];
    const keys = http.createServer((req, res) => {
      received.push(req.headers.traceparent as string | undefined);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [key.publicJwk] }));
    });
    await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
    try {
      const jwksUri = `http://127.0.0.1:${(keys.address() as AddressInfo).port}/jwks.json`;
      const keyClient = await registerClient(server, ['--name', 'traced keys', '--auth-method', 'private_key_jwt', '--jwks-uri', jwksUri, '--scope', 'api']);
      const traceId = crypto.randomBytes(16).toString('hex');
      const answer = await postForm(
        `${server.issuer}/token`,
        { grant_type: 'client_credentials', scope: 'api', client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(key, keyClient.client_id, server.issuer) },
        { traceparent: `00-${traceId}-${crypto.randomBytes(8).toString('hex')}-01` },
      );
      expect(answer.status).toBe(200);
      recordSecrets(answer.body.access_token as string);
      const { root, spans } = await traceOf(traceId, 'HTTP POST /token', (found) => found.some((span) => span.name === 'GET jwks_uri'));
      const fetched = spans.find((span) => span.name === 'GET jwks_uri')!;
      expect(fetched).toMatchObject({ kind: CLIENT_KIND, parentSpanId: root.spanId, statusCode: 0 });
      expect(fetched.attributes).toEqual({
        'inkan.outbound.purpose': 'jwks_uri',
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'server.address': '127.0.0.1',
        'server.port': Number(new URL(jwksUri).port),
        'url.path': '/jwks.json',
        'http.response.status_code': 200,
      });
      expect(received).toEqual([`00-${traceId}-${fetched.spanId}-01`]);
    } finally {
      keys.closeAllConnections();
      await new Promise<void>((resolve) => keys.close(() => resolve()));
    }
  });

  it('shows the password check of a sign-in as a span of the login request', async () => {
    const browser = new HttpBrowser(server.issuer);
    const url = authorizeUrl(server.issuer, { client_id: codeClient.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's', ...PKCE_CHALLENGE });
    await signIn(browser, url, 'traced@example.com', PASSWORD);
    const login = await accessLine(server, (each) => each.method === 'POST' && each.path === '/login');
    const { root, spans } = await traceOf(login.trace_id!, 'HTTP POST /login', (found) => found.some((span) => span.name === 'password verify'));
    const verify = spans.find((span) => span.name === 'password verify')!;
    expect(verify.parentSpanId).toBe(root.spanId);
    expect(verify.attributes).toMatchObject({ 'inkan.password.algorithm': 'argon2id', 'inkan.password.operation': 'verify' });
    expect(root.attributes).toMatchObject({ 'http.route': '/login', 'http.response.status_code': 303 });
  });

  it('puts no secret in any span: not the client secret, the password, a token or a cookie', async () => {
    const browser = new HttpBrowser(server.issuer);
    const token = await tokenRequest(server.issuer, client);
    const url = authorizeUrl(server.issuer, { client_id: codeClient.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'secret-state-value', ...PKCE_CHALLENGE });
    const redirect = await signIn(browser, url, 'traced@example.com', PASSWORD);
    const code = redirect.searchParams.get('code')!;
    // Spans leave in the order they end: once a later request's span has arrived, so have these.
    const requestId = crypto.randomUUID();
    await tokenRequest(server.issuer, client, { 'x-request-id': requestId });
    const lastLine = await accessLine(server, (each) => each.reqId === requestId);
    await eventually(() => sink.spans.some((span) => span.traceId === lastLine.trace_id), 20_000, 50);
    const exported = JSON.stringify(sink.spans);
    const secrets = [client.client_secret!, codeClient.client_secret!, PASSWORD, token, code, 'secret-state-value', ...browser.cookies.values()];
    for (const secret of secrets) expect(exported.includes(secret), `a span holds ${secret.slice(0, 6)}…`).toBe(false);
    // Nor a query string: the authorize request's span has its path only.
    const authorize = sink.spans.find((span) => span.attributes['http.route'] === '/authorize')!;
    expect(authorize.attributes['url.path']).toBe('/authorize');
  });
});

describe('with the default protocol, http/protobuf', () => {
  it('posts protobuf to /v1/traces of the endpoint', async () => {
    const sink = await startOtlpSink();
    const { dir, env } = await environment({ OTEL_EXPORTER_OTLP_ENDPOINT: `${sink.url}/`, OTEL_BSP_SCHEDULE_DELAY: '100' });
    const client = await createClient(env, dir, ['--name', 'protobuf', '--scope', 'api']);
    const server = await startServerProcess(dir, env);
    try {
      await tokenRequest(server.issuer, client);
      await eventually(() => sink.posts.length > 0, 20_000, 50);
      expect(sink.posts[0]).toEqual({ path: '/v1/traces', contentType: 'application/x-protobuf' });
    } finally {
      await server.kill('SIGTERM');
      await sink.close();
    }
  });
});

describe('off', () => {
  it.each([
    ['no OTEL variable', {}],
    ['OTEL_TRACES_EXPORTER=none beside an endpoint', { OTEL_TRACES_EXPORTER: 'none' }],
    ['OTEL_SDK_DISABLED=true beside an endpoint', { OTEL_SDK_DISABLED: 'true' }],
  ])('exports nothing and logs no trace id with %s', async (_name, otel: Record<string, string>) => {
    const sink = await startOtlpSink();
    const withEndpoint = Object.keys(otel).length === 0 ? {} : { ...otel, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
    const { dir, env } = await environment(withEndpoint);
    const client = await createClient(env, dir, ['--name', 'untraced', '--scope', 'api']);
    const server = await startServerProcess(dir, env);
    try {
      await tokenRequest(server.issuer, client, { traceparent: `00-${crypto.randomBytes(16).toString('hex')}-${crypto.randomBytes(8).toString('hex')}-01` });
      await server.kill('SIGTERM');
      const lines = accessLines(server);
      expect(lines.some((line) => line.path === '/token')).toBe(true);
      expect(lines.filter((line) => line.trace_id !== undefined || line.span_id !== undefined)).toEqual([]);
      expect(fs.readFileSync(server.logFile, 'utf8')).not.toContain('tracing.started');
      // The stop flushed whatever an SDK would have queued: nothing came.
      expect(sink.posts).toEqual([]);
    } finally {
      await sink.close();
    }
  });

  it('leaves the API on its no-op tracer provider in a server without OTEL variables', async () => {
    const server = await startInkan();
    try {
      const client = await registerClient(server, ['--name', 'in-process', '--scope', 'api']);
      await tokenRequest(server.issuer, client);
      const span = trace.getTracer('probe').startSpan('probe');
      expect(span.isRecording()).toBe(false);
      expect(span.spanContext().traceId).toBe('00000000000000000000000000000000');
      span.end();
    } finally {
      await server.stop();
    }
  });
});
