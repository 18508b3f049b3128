/**
 * Every bad input of the token endpoint that issue 2 names gets a clear RFC 6749 §5.2 answer: the
 * exact status and `error`, JSON, `Cache-Control: no-store`, a challenge on 401, never a 5xx. And no
 * client secret ever reaches the logs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_CAPTURE_DIR, startInkan, type TestServer } from '../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../helpers/clients.js';
import { RawConnection } from '../helpers/raw-http.js';
import { recordTokenResponse } from '../helpers/secrets.js';

let server: TestServer;
let client: RegisteredClient;
let postClient: RegisteredClient;
let codeOnlyClient: RegisteredClient;
let tokenEndpoint: string;
const WRONG_SECRET = 'wrong-secret-0123456789abcdefghijklmnopqrstuv';

beforeAll(async () => {
  server = await startInkan();
  [client, postClient, codeOnlyClient] = await Promise.all([
    registerClient(server, ['--name', 'svc', '--scope', 'read write', '--resources', 'https://api.example.com']),
    registerClient(server, ['--name', 'svc-post', '--auth-method', 'client_secret_post', '--scope', 'read']),
    registerClient(server, ['--name', 'web', '--grant-types', 'authorization_code', '--redirect-uris', 'https://app.example.com/cb']),
  ]);
  const discovery = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
  tokenEndpoint = discovery.token_endpoint;
});
afterAll(async () => {
  await server.stop();
});

const FORM = 'application/x-www-form-urlencoded';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

async function send(init: RequestInit & { headers?: Record<string, string> }): Promise<Answer> {
  const response = await fetch(tokenEndpoint, { method: 'POST', ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** POST a form (a string keeps duplicates and order exactly as written). */
function postForm(body: string | Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  return send({ body: typeof body === 'string' ? body : new URLSearchParams(body).toString(), headers: { 'content-type': FORM, ...headers } });
}

/**
 * Asserts an RFC 6749 §5.2 error answer and returns its JSON. A 401 carries a Basic challenge
 * when the client tried the Authorization header or sent no credentials (`challenged`), never
 * otherwise.
 */
function expectError(answer: Answer, status: number, error: string, challenged = status === 401): { error: string; error_description?: string } {
  expect({ status: answer.status, text: answer.text }).toMatchObject({ status });
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.headers.get('cache-control')).toBe('no-store');
  const json = JSON.parse(answer.text) as { error: string; error_description?: string };
  expect(json.error).toBe(error);
  expect(typeof json.error_description).toBe('string');
  expect(answer.text).not.toMatch(/ at |<html/i);
  expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  if (challenged) expect(answer.headers.get('www-authenticate')).toBe('Basic realm="inkan", charset="UTF-8"');
  else expect(answer.headers.get('www-authenticate')).toBeNull();
  return json;
}

describe('grant_type', () => {
  it('missing → 400 invalid_request', async () => {
    expectError(await postForm({ scope: 'read' }, { authorization: basicAuth(client) }), 400, 'invalid_request');
  });

  it('unknown → 400 unsupported_grant_type', async () => {
    expectError(await postForm({ grant_type: 'password', username: 'a', password: 'b' }, { authorization: basicAuth(client) }), 400, 'unsupported_grant_type');
    expectError(await postForm({ grant_type: 'urn:example:nothing' }, { authorization: basicAuth(client) }), 400, 'unsupported_grant_type');
  });

  it('a grant the client is not registered for → 400 unauthorized_client', async () => {
    expectError(await postForm({ grant_type: 'client_credentials' }, { authorization: basicAuth(codeOnlyClient) }), 400, 'unauthorized_client');
  });
});

describe('client authentication', () => {
  it('no credentials → 401 invalid_client with WWW-Authenticate', async () => {
    expectError(await postForm({ grant_type: 'client_credentials' }), 401, 'invalid_client');
  });

  it('a client_id without a secret, for a confidential client → 401 invalid_client, no challenge (no Authorization header tried)', async () => {
    expectError(await postForm({ grant_type: 'client_credentials', client_id: client.client_id }), 401, 'invalid_client', false);
  });

  it('wrong secret → 401 invalid_client, by Basic (with the challenge) and by post (without)', async () => {
    expectError(
      await postForm({ grant_type: 'client_credentials' }, { authorization: basicAuth({ client_id: client.client_id, client_secret: WRONG_SECRET }) }),
      401,
      'invalid_client',
    );
    expectError(
      await postForm({ grant_type: 'client_credentials', client_id: postClient.client_id, client_secret: WRONG_SECRET }),
      401,
      'invalid_client',
      false,
    );
  });

  it('unknown client → 401 invalid_client, the same answer as a wrong secret', async () => {
    const unknown = expectError(
      await postForm({ grant_type: 'client_credentials' }, { authorization: basicAuth({ client_id: 'no-such-client', client_secret: WRONG_SECRET }) }),
      401,
      'invalid_client',
    );
    const wrong = expectError(
      await postForm({ grant_type: 'client_credentials' }, { authorization: basicAuth({ client_id: client.client_id, client_secret: WRONG_SECRET }) }),
      401,
      'invalid_client',
    );
    expect(unknown).toEqual(wrong);
  });

  it('malformed Basic credentials → 401 invalid_client', async () => {
    expectError(await postForm({ grant_type: 'client_credentials' }, { authorization: 'Basic !!!not-base64' }), 401, 'invalid_client');
  });

  it('Basic credentials are form-urlencoded (RFC 6749 §2.3.1): encoded characters are decoded, a broken escape is refused', async () => {
    const encodedId = client.client_id.replaceAll('-', '%2D');
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    const answer = await postForm({ grant_type: 'client_credentials' }, { authorization: basic(encodedId, client.client_secret!) });
    expect(answer.status).toBe(200);
    expectError(await postForm({ grant_type: 'client_credentials' }, { authorization: basic(client.client_id, `${client.client_secret!}%zz`) }), 401, 'invalid_client');
  });

  it('a registered method other than the one used → 401 invalid_client', async () => {
    // client is registered for client_secret_basic; its right secret sent in the body is refused.
    expectError(
      await postForm({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret! }),
      401,
      'invalid_client',
      false,
    );
  });

  it('Basic and post in the same request → 400 invalid_request', async () => {
    expectError(
      await postForm(
        { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret! },
        { authorization: basicAuth(client) },
      ),
      400,
      'invalid_request',
    );
  });
});

describe('the Authorization header: exactly one well-formed Basic credential', () => {
  const basic = (decoded: string) => Buffer.from(decoded).toString('base64');
  const credentials = () => `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret!)}`;
  const SYNTAX = 'the Authorization header must be one Basic credential (RFC 7617)';

  it('two credentials in one value → 401 invalid_client, even when the first is right', async () => {
    const right = basicAuth(client);
    const wrong = basicAuth({ client_id: client.client_id, client_secret: WRONG_SECRET });
    for (const value of [`${right} ${wrong}`, `${right}, ${wrong}`, `${right} ${right}`, `${right},${right}`]) {
      const json = expectError(await postForm({ grant_type: 'client_credentials' }, { authorization: value }), 401, 'invalid_client');
      expect(json.error_description).toBe(SYNTAX);
    }
  });

  it('the revocation and introspection endpoints apply the same rule', async () => {
    for (const path of ['/revoke', '/introspect']) {
      const response = await fetch(`${server.issuer}${path}`, {
        method: 'POST',
        headers: { 'content-type': FORM, authorization: `${basicAuth(client)} ${basicAuth(client)}` },
        body: 'token=x',
      });
      const answer = { status: response.status, headers: response.headers, text: await response.text() };
      expect(expectError(answer, 401, 'invalid_client').error_description).toBe(SYNTAX);
    }
  });

  it('two Authorization headers → 401 invalid_client, even when the first is right', async () => {
    const form = 'grant_type=client_credentials';
    const connection = await RawConnection.open(server.port);
    await connection.write(
      `POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${FORM}\r\nContent-Length: ${form.length}\r\n` +
        `Authorization: ${basicAuth(client)}\r\nauthorization: ${basicAuth({ client_id: client.client_id, client_secret: WRONG_SECRET })}\r\n\r\n${form}`,
    );
    const answer = await connection.response();
    connection.destroy();
    expect(answer).toBeDefined();
    expect(answer!.status).toBe(401);
    expect(JSON.parse(answer!.body)).toEqual({ error: 'invalid_client', error_description: 'the request carries more than one Authorization header' });
    expect(answer!.headers['www-authenticate']).toBe('Basic realm="inkan", charset="UTF-8"');
    expect(answer!.headers['cache-control']).toBe('no-store');
  });

  it('a token68 with characters outside base64 → 401 invalid_client, though node would skip them when decoding', async () => {
    const encoded = basic(credentials());
    for (const value of [`${encoded.slice(0, 8)}*${encoded.slice(8)}`, `${encoded.slice(0, 8)} ${encoded.slice(8)}`, `${encoded}.`]) {
      expect(Buffer.from(value, 'base64').toString()).toBe(credentials());
      const json = expectError(await postForm({ grant_type: 'client_credentials' }, { authorization: `Basic ${value}` }), 401, 'invalid_client');
      expect(json.error_description).toBe(SYNTAX);
    }
    // base64url's "-" and "_" are not base64 either (node would decode them).
    const url = `${encoded.slice(0, -4)}-_-_`;
    expect(Buffer.from(url, 'base64').length).toBe(Buffer.from(encoded, 'base64').length + 1);
    const json = expectError(await postForm({ grant_type: 'client_credentials' }, { authorization: `Basic ${url}` }), 401, 'invalid_client');
    expect(json.error_description).toBe(SYNTAX);
  });

  it('base64 without its padding, or with a misplaced one → 401 invalid_client', async () => {
    // A generated id and secret make 80 characters: their base64 ends in one "=".
    const padded = basic(credentials());
    expect(padded).toMatch(/[^=]=$/);
    for (const value of [padded.slice(0, -1), `${padded}=`, `=${padded}`, `${padded.slice(0, 4)}=${padded.slice(4)}`]) {
      const json = expectError(await postForm({ grant_type: 'client_credentials' }, { authorization: `Basic ${value}` }), 401, 'invalid_client');
      expect(json.error_description).toBe(SYNTAX);
    }
  });

  it('an empty credential, a bare scheme, and another scheme → 401 invalid_client with the Basic challenge', async () => {
    for (const value of ['Basic', 'Basic ', 'Basic =', `Bearer ${basic(credentials())}`, `Digest ${basic(credentials())}`, basic(credentials())]) {
      const json = expectError(await postForm({ grant_type: 'client_credentials' }, { authorization: value }), 401, 'invalid_client');
      expect(json.error_description).toBe(SYNTAX);
    }
  });

  it('the scheme is case-insensitive and may be followed by several spaces (RFC 7235 §2.1)', async () => {
    for (const value of [`basic ${basic(credentials())}`, `BASIC   ${basic(credentials())}`]) {
      const answer = await postForm({ grant_type: 'client_credentials', scope: 'read' }, { authorization: value });
      expect(answer.status).toBe(200);
      recordTokenResponse(JSON.parse(answer.text));
    }
  });
});

describe('scope and resource', () => {
  it('a scope the client was not registered with → 400 invalid_scope', async () => {
    expectError(await postForm({ grant_type: 'client_credentials', scope: 'read admin' }, { authorization: basicAuth(client) }), 400, 'invalid_scope');
  });

  it('a resource the client was not registered with → 400 invalid_target', async () => {
    expectError(
      await postForm({ grant_type: 'client_credentials', resource: 'https://other.example.com' }, { authorization: basicAuth(client) }),
      400,
      'invalid_target',
    );
  });

  it('a resource that is not an absolute URI → 400 invalid_target', async () => {
    expectError(await postForm({ grant_type: 'client_credentials', resource: 'api.example.com' }, { authorization: basicAuth(client) }), 400, 'invalid_target');
    expectError(
      await postForm({ grant_type: 'client_credentials', resource: 'https://api.example.com#frag' }, { authorization: basicAuth(client) }),
      400,
      'invalid_target',
    );
  });
});

describe('the request itself', () => {
  it('a JSON body → 400 invalid_request', async () => {
    expectError(
      await send({
        body: JSON.stringify({ grant_type: 'client_credentials' }),
        headers: { 'content-type': 'application/json', authorization: basicAuth(client) },
      }),
      400,
      'invalid_request',
    );
  });

  it('no body at all → 400 invalid_request', async () => {
    expectError(await send({ headers: { authorization: basicAuth(client) } }), 400, 'invalid_request');
  });

  it('a body over 64 KiB → 413', async () => {
    const body = `grant_type=client_credentials&padding=${'a'.repeat(64 * 1024)}`;
    expectError(await postForm(body, { authorization: basicAuth(client) }), 413, 'invalid_request');
  });

  it('a chunked body (no Content-Length) over 64 KiB → 413', async () => {
    const chunk = new TextEncoder().encode(`grant_type=client_credentials&padding=${'a'.repeat(40 * 1024)}`);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(new TextEncoder().encode('b'.repeat(40 * 1024)));
        controller.close();
      },
    });
    const answer = await send({ body, duplex: 'half', headers: { 'content-type': FORM, authorization: basicAuth(client) } } as RequestInit & {
      headers: Record<string, string>;
    });
    expectError(answer, 413, 'invalid_request');
  });

  it('a body of exactly 64 KiB is still read', async () => {
    const prefix = 'grant_type=client_credentials&padding=';
    const body = `${prefix}${'a'.repeat(64 * 1024 - prefix.length)}`;
    expect(Buffer.byteLength(body)).toBe(64 * 1024);
    const answer = await postForm(body, { authorization: basicAuth(client) });
    expect(answer.status).toBe(200);
  });

  it('a duplicated parameter → 400 invalid_request', async () => {
    expectError(await postForm('grant_type=client_credentials&scope=read&scope=write', { authorization: basicAuth(client) }), 400, 'invalid_request');
    expectError(await postForm('grant_type=client_credentials&grant_type=client_credentials', { authorization: basicAuth(client) }), 400, 'invalid_request');
  });

  it.each(['GET', 'PUT', 'DELETE'])('%s → 405 with Allow: POST', async (method) => {
    const response = await fetch(tokenEndpoint, { method, headers: { authorization: basicAuth(client) } });
    const answer = { status: response.status, headers: response.headers, text: await response.text() };
    expectError(answer, 405, 'invalid_request');
    expect(answer.headers.get('allow')).toBe('POST');
  });
});

describe('success', () => {
  it('answers with Cache-Control: no-store', async () => {
    const answer = await postForm({ grant_type: 'client_credentials', scope: 'read' }, { authorization: basicAuth(client) });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(answer.text)).toMatchObject({ token_type: 'Bearer', scope: 'read', expires_in: 900 });
  });

  it('accepts client_secret_post', async () => {
    const answer = await postForm({ grant_type: 'client_credentials', client_id: postClient.client_id, client_secret: postClient.client_secret! });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });
});

describe('logs', () => {
  it('never contain a client secret used above', async () => {
    // A request with a known id marks the end of this file's traffic in the log capture.
    const marker = `log-check-${process.pid}-${Date.now()}`;
    await postForm({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret! }, {
      authorization: basicAuth({ client_id: client.client_id, client_secret: WRONG_SECRET }),
      'x-request-id': marker,
    });
    const file = path.join(LOG_CAPTURE_DIR, `${process.pid}.log`);
    let log = '';
    for (let attempt = 0; attempt < 50 && !log.includes(marker); attempt += 1) {
      log = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      if (!log.includes(marker)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(log).toContain(marker);
    expect(log.split('\n').filter((line) => line.includes('"msg":"request"')).length).toBeGreaterThan(20);
    for (const secret of [client.client_secret!, postClient.client_secret!, codeOnlyClient.client_secret!, WRONG_SECRET]) {
      expect(log).not.toContain(secret);
    }
    // Nor the Basic header that carried them.
    expect(log).not.toContain(basicAuth(client).slice('Basic '.length));
  });
});
