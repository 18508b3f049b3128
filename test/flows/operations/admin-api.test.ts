/**
 * The admin API (ADMIN_API=on, under /admin/v1): refused without a token, with a bad one, without
 * the admin scope and for a person's token (RFC 6750 answers); with an admin client-credentials
 * token it does what the CLI does (clients, users, keys, revocations), answers JSON errors, and
 * serves its OpenAPI document. Off by default.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { recordSecrets } from '../../helpers/secrets.js';
import { RawConnection } from '../../helpers/raw-http.js';
import { registerApp, refresh, startFamily } from '../../helpers/refresh.js';
import { clientToken, signInAttempt } from '../../helpers/operations.js';
import { freshPrivateKey } from '../../../src/keys/material.js';

let server: TestServer;
let admin: RegisteredClient;
let other: RegisteredClient;
let adminToken: string;
const API = () => `${server.issuer}/admin/v1`;

async function call(method: string, path: string, options: { token?: string; json?: unknown; body?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  const response = await fetch(`${API()}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as any) };
}

/** POST /keys/rotate, retried as its 409 says (Retry-After) while the next keys are too young to sign. */
async function rotateWhenReady(json?: unknown) {
  for (let attempt = 1; ; attempt += 1) {
    const answer = await call('POST', '/keys/rotate', json === undefined ? { token: adminToken } : { token: adminToken, json });
    if (answer.status !== 409 || attempt === 3) return answer;
    await new Promise((resolve) => setTimeout(resolve, Number(answer.headers.get('retry-after')) * 1000));
  }
}

const keyOf = (keys: Array<{ kid: string; alg: string; status: string }>, alg: string, status: string) =>
  keys.find((key) => key.alg === alg && key.status === status)!;

beforeAll(async () => {
  // JWKS_MAX_AGE=1: a next key may sign 4 s (JWKS_MAX_AGE + 3 s) after it was published.
  server = await startInkan({ env: { ADMIN_API: 'on', JWKS_MAX_AGE: '1' } });
  admin = await registerClient(server, ['--name', 'ops-tooling', '--scope', 'admin']);
  // Also a resource server for the issuer's audience: it may introspect the tokens of other clients that carry no resource.
  other = await registerClient(server, ['--name', 'not-ops', '--scope', 'api', '--resources', server.issuer]);
  adminToken = (await clientToken(server, admin, 'admin')).access_token;
});
afterAll(async () => {
  await server.stop();
});

describe('access', () => {
  it('answers 401 with a bare Bearer challenge without a token', async () => {
    const answer = await call('GET', '/clients');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="inkan"');
    expect(answer.body.error).toBe('invalid_token');
  });

  it('answers 401 invalid_token for a token that is not an Inkan access token', async () => {
    const forged = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from('{"scope":"admin"}').toString('base64url')}.`;
    for (const token of ['not-a-jwt', forged]) {
      const answer = await call('GET', '/clients', { token });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="inkan", error="invalid_token"/);
      expect(answer.body.error).toBe('invalid_token');
    }
  });

  it('answers 400 invalid_request for an Authorization header that is not Bearer', async () => {
    const response = await fetch(`${API()}/clients`, { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('answers 403 insufficient_scope for a client-credentials token without the admin scope', async () => {
    const { access_token } = await clientToken(server, other, 'api');
    const answer = await call('GET', '/keys', { token: access_token });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="admin"/);
    expect(answer.body.error).toBe('insufficient_scope');
  });

  it('answers 403 for a person\'s token even when it carries the admin scope', async () => {
    const app = await registerApp(server, ['--scope', 'openid offline_access admin']);
    const { refreshToken } = await startFamily(server, app, { scopes: ['openid', 'offline_access', 'admin'] });
    const refreshed = await refresh(server, app, refreshToken);
    expect(decodeJwt(refreshed.body.access_token).scope).toContain('admin');
    const answer = await call('GET', '/clients', { token: refreshed.body.access_token });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe('insufficient_scope');
  });

  it('answers 401 for a revoked admin token', async () => {
    const { access_token } = await clientToken(server, admin, 'admin');
    const revoked = await fetch(`${server.issuer}/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${admin.client_id}:${admin.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: access_token }),
    });
    expect(revoked.status).toBe(200);
    const answer = await call('GET', '/clients', { token: access_token });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_token');
  });

  it('is off unless ADMIN_API=on', async () => {
    const plain = await startInkan();
    try {
      expect((await fetch(`${plain.issuer}/admin/v1/openapi.json`)).status).toBe(404);
      expect((await fetch(`${plain.issuer}/admin/v1/clients`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});

describe('operations', () => {
  it('creates, lists and deletes clients; the new client gets tokens until it is deleted', async () => {
    const created = await call('POST', '/clients', { token: adminToken, json: { name: 'from-the-api', scope: 'api', alg: 'EdDSA' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ client_id: expect.any(String), client_secret: expect.any(String) });
    recordSecrets(created.body.client_secret);
    const fresh: RegisteredClient = created.body;
    const { access_token } = await clientToken(server, fresh, 'api');
    await jwtVerify(access_token, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer, algorithms: ['EdDSA'] });
    const introspect = async () =>
      (await fetch(`${server.issuer}/introspect`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${other.client_id}:${other.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: access_token }),
      })).json();
    expect(await introspect()).toMatchObject({ active: true, client_id: fresh.client_id });

    const listed = await call('GET', '/clients', { token: adminToken });
    expect(listed.status).toBe(200);
    expect(listed.body.find((client: { client_id: string }) => client.client_id === fresh.client_id)).toMatchObject({ name: 'from-the-api', alg: 'EdDSA', scope: 'api' });
    expect(JSON.stringify(listed.body)).not.toContain(fresh.client_secret!);

    expect(await call('DELETE', `/clients/${fresh.client_id}`, { token: adminToken })).toMatchObject({ status: 200, body: { deleted: fresh.client_id } });
    expect(await call('DELETE', `/clients/${fresh.client_id}`, { token: adminToken })).toMatchObject({ status: 404, body: { error: 'not_found' } });
    // Its tokens are revoked with it (the same domain call as `clients delete`).
    expect(await introspect()).toEqual({ active: false });
  });

  it('refuses a bad client registration with 400 invalid_request', async () => {
    for (const json of [{}, { name: 'x', grant_types: ['password'] }, { name: 'x', alg: 'HS256' }, { name: 'x', surprise: true }, { name: 7 }]) {
      const answer = await call('POST', '/clients', { token: adminToken, json });
      expect(answer.status, JSON.stringify(json)).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
      expect(answer.body.error_description).toEqual(expect.any(String));
    }
  });

  it('registers a legacy confidential client with allow_no_pkce, and refuses it for a public client', async () => {
    const base = { name: 'legacy', grant_types: ['authorization_code'], redirect_uris: ['https://legacy.example.com/cb'], scope: 'openid' };
    const created = await call('POST', '/clients', { token: adminToken, json: { ...base, allow_no_pkce: true } });
    expect(created.status).toBe(201);
    recordSecrets(created.body.client_secret);
    const listed = await call('GET', '/clients', { token: adminToken });
    expect(listed.body.find((client: { client_id: string }) => client.client_id === created.body.client_id)).toMatchObject({ allow_no_pkce: true });
    const refused = await call('POST', '/clients', { token: adminToken, json: { ...base, auth_method: 'none', allow_no_pkce: true } });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: 'invalid_request',
      error_description: 'a public client (auth method none) must use PKCE: --allow-no-pkce is for confidential clients only',
    });
    expect((await call('POST', '/clients', { token: adminToken, json: { ...base, allow_no_pkce: 'yes' } })).body.error_description).toBe('allow_no_pkce must be true or false');
  });

  it('refuses each forbidden kind of redirect URI with its reason', async () => {
    const cases: [string, string][] = [
      ['http://app.example.com/cb', 'uses plain http off loopback: use https, or http on 127.0.0.1, [::1] or localhost'],
      ['https://user:pass@app.example.com/cb', 'must not carry userinfo (user:password@)'],
      ['https://app.example.com/cb#frag', 'must not have a fragment'],
      ['javascript:alert(1)', 'must be https, http on a loopback host, or a private-use scheme with a dot such as com.example.app:/callback (RFC 8252 §7.1)'],
      ['data:text/html,<script>alert(1)</script>', 'must be https, http on a loopback host, or a private-use scheme with a dot such as com.example.app:/callback (RFC 8252 §7.1)'],
      ['file:///etc/passwd', 'must be https, http on a loopback host, or a private-use scheme with a dot such as com.example.app:/callback (RFC 8252 §7.1)'],
    ];
    for (const [uri, why] of cases) {
      const answer = await call('POST', '/clients', { token: adminToken, json: { name: 'bad', grant_types: ['authorization_code'], redirect_uris: [uri] } });
      expect(answer.status, uri).toBe(400);
      expect(answer.body).toEqual({ error: 'invalid_request', error_description: `redirect URI ${JSON.stringify(uri)} ${why}` });
    }
  });

  it('answers a body over 64 KiB with a 413 JSON error and Connection: close, read after the whole upload', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(200 * 1024) });
    const connection = await RawConnection.open(server.port);
    await connection.write(
      `POST /admin/v1/clients HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${adminToken}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    expect(await connection.write(body)).toBe(true);
    const answer = await connection.response();
    connection.socket.end();
    expect(answer?.status).toBe(413);
    expect(answer?.headers.connection).toBe('close');
    expect(JSON.parse(answer!.body)).toEqual({ error: 'invalid_request', error_description: 'the request body is larger than 65536 bytes' });
    expect((await connection.closedWithin(5000))?.error).toBeUndefined();
  });

  it('answers 415 for a body that is not JSON and 400 for JSON that is not an object', async () => {
    const form = await call('POST', '/users', { token: adminToken, body: 'email=a@example.com', contentType: 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.body.error).toBe('invalid_request');
    expect((await call('POST', '/users', { token: adminToken, body: '[1,2]', contentType: 'application/json' })).status).toBe(400);
    expect((await call('POST', '/users', { token: adminToken, body: '{"email":', contentType: 'application/json' })).status).toBe(400);
  });

  it('creates users (password in the body) who can sign in, refuses duplicates, disables them', async () => {
    const password = `api-password-${crypto.randomUUID()}`;
    recordSecrets(password);
    const email = 'api.user@example.com';
    const created = await call('POST', '/users', { token: adminToken, json: { email, name: 'Api User', password } });
    expect(created).toMatchObject({ status: 201, body: { id: expect.any(String), email } });
    expect(await call('POST', '/users', { token: adminToken, json: { email, password } })).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect(await call('POST', '/users', { token: adminToken, json: { email: 'short@example.com', password: 'short' } })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });

    const web = await registerClient(server, ['--name', 'web', '--grant-types', 'authorization_code', '--redirect-uris', 'http://127.0.0.1:9/cb', '--scope', 'openid']);
    expect((await signInAttempt(server, web.client_id, 'http://127.0.0.1:9/cb', email, password)).status).toBe(303);
    expect(await call('POST', '/users/disable', { token: adminToken, json: { email } })).toMatchObject({ status: 200, body: { disabled: email } });
    expect((await signInAttempt(server, web.client_id, 'http://127.0.0.1:9/cb', email, password)).status).toBe(401);
    expect(await call('POST', '/users/disable', { token: adminToken, json: { email: 'nobody@example.com' } })).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await call('POST', '/users/enable', { token: adminToken, json: { email } })).toMatchObject({ status: 200, body: { enabled: email } });
    expect((await signInAttempt(server, web.client_id, 'http://127.0.0.1:9/cb', email, password)).status).toBe(303);
    expect(await call('POST', '/users/enable', { token: adminToken, json: { email: 'nobody@example.com' } })).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it('finds people by part of their email, lists a person\'s live sessions and ends one of them', async () => {
    const password = `api-password-${crypto.randomUUID()}`;
    recordSecrets(password);
    const email = 'Sessions.Person@example.com';
    const { body: created } = await call('POST', '/users', { token: adminToken, json: { email, name: 'Sessions Person', password } });
    const found = await call('GET', '/users?q=sessions.person@EXAMPLE', { token: adminToken });
    expect(found).toMatchObject({ status: 200, body: [{ id: created.id, email, name: 'Sessions Person', disabled_at: null, created_at: expect.any(Number) }] });
    expect((await call('GET', '/users?q=no-such-person', { token: adminToken })).body).toEqual([]);
    expect((await call('GET', '/users')).status).toBe(401);

    const web = await registerClient(server, ['--name', 'web', '--grant-types', 'authorization_code', '--redirect-uris', 'http://127.0.0.1:9/cb', '--scope', 'openid']);
    for (let i = 0; i < 2; i += 1) expect((await signInAttempt(server, web.client_id, 'http://127.0.0.1:9/cb', email, password)).status).toBe(303);
    const listed = await call('GET', `/users/sessions?email=${encodeURIComponent(email)}`, { token: adminToken });
    expect(listed.status).toBe(200);
    expect(listed.body.email).toBe(email);
    expect(listed.body.sessions).toHaveLength(2);
    expect(listed.body.sessions[0]).toEqual({ sid: expect.any(String), auth_time: expect.any(Number), amr: ['pwd'], created_at: expect.any(Number), expires_at: expect.any(Number) });
    const [first, second] = listed.body.sessions as Array<{ sid: string }>;

    expect(await call('POST', '/users/sessions/end', { token: adminToken, json: { email, sid: first!.sid } })).toMatchObject({ status: 200, body: { ended: first!.sid } });
    expect((await call('GET', `/users/sessions?email=${encodeURIComponent(email)}`, { token: adminToken })).body.sessions).toEqual([expect.objectContaining({ sid: second!.sid })]);
    // Ended already, another person's, or unknown: 404; a missing field: 400.
    expect(await call('POST', '/users/sessions/end', { token: adminToken, json: { email, sid: first!.sid } })).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await call('POST', '/users/sessions/end', { token: adminToken, json: { email: 'api.user@example.com', sid: second!.sid } })).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await call('POST', '/users/sessions/end', { token: adminToken, json: { email } })).toMatchObject({ status: 400, body: { error_description: 'sid is required' } });
    expect(await call('GET', '/users/sessions', { token: adminToken })).toMatchObject({ status: 400, body: { error_description: 'email is required' } });
    expect(await call('GET', '/users/sessions?email=nobody@example.com', { token: adminToken })).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it('refuses to delete the operator console\'s own client (409)', async () => {
    expect(await call('DELETE', '/clients/inkan-console', { token: adminToken })).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect((await call('GET', '/clients', { token: adminToken })).body.map((client: { client_id: string }) => client.client_id)).toContain('inkan-console');
  });

  it('revokes a person\'s tokens by email, and answers 404 for an unknown email', async () => {
    const email = 'revoke.me@example.com';
    const password = `revoke-password-${crypto.randomUUID()}`;
    recordSecrets(password);
    expect((await call('POST', '/users', { token: adminToken, json: { email, password } })).status).toBe(201);
    expect(await call('POST', '/tokens/revoke', { token: adminToken, json: { email } })).toMatchObject({ status: 200, body: { revoked: 0 } });
    expect(await call('POST', '/tokens/revoke', { token: adminToken, json: { email: 'nobody@example.com' } })).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await call('POST', '/tokens/revoke', { token: adminToken, json: {} })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('lists, rotates, imports and revokes keys, as `keys` does', async () => {
    const listed = await call('GET', '/keys', { token: adminToken });
    expect(listed.status).toBe(200);
    const activeBefore = listed.body.find((key: { alg: string; status: string }) => key.alg === 'RS256' && key.status === 'active');
    expect(activeBefore).toMatchObject({ kid: expect.any(String), created_at: expect.any(String) });
    expect(JSON.stringify(listed.body)).not.toMatch(/sealed|"d"/);

    const nextBefore = keyOf(listed.body, 'RS256', 'next');
    const rotated = await rotateWhenReady({ alg: 'RS256' });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ active: [{ kid: nextBefore.kid, alg: 'RS256' }] });
    expect(rotated.body.active[0].kid).not.toBe(activeBefore.kid);
    expect((await call('POST', '/keys/rotate', { token: adminToken, json: { alg: 'HS256' } })).status).toBe(400);
    // No body at all rotates every alg.
    expect((await rotateWhenReady()).body.active.map((key: { alg: string }) => key.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    const es256Next = keyOf((await call('GET', '/keys', { token: adminToken })).body, 'ES256', 'next');
    expect(await rotateWhenReady({ alg: 'ES256' })).toMatchObject({ status: 200, body: { active: [{ kid: es256Next.kid, alg: 'ES256' }] } });

    const pem = freshPrivateKey('ed25519').export({ format: 'pem', type: 'pkcs8' }).toString();
    recordSecrets(pem);
    const imported = await call('POST', '/keys/import', { token: adminToken, json: { key: pem } });
    expect(imported).toMatchObject({ status: 201, body: { imported: { kid: expect.any(String), alg: 'EdDSA', status: 'next' } } });
    expect(await call('POST', '/keys/import', { token: adminToken, json: { key: pem } })).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect(await call('POST', '/keys/import', { token: adminToken, json: { key: 'not a key' } })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });

    const kid = imported.body.imported.kid as string;
    expect(await call('POST', `/keys/${kid}/revoke`, { token: adminToken })).toMatchObject({ status: 200, body: { revoked: kid } });
    const jwks = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).not.toContain(kid);
    expect(await call('POST', '/keys/no-such-kid/revoke', { token: adminToken })).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it('answers 409 with Retry-After while the next key is too young to sign, the same request succeeds then, and unpublished makes a fresh key sign at once with a warning', async () => {
    const keys = async () => (await call('GET', '/keys', { token: adminToken })).body as Array<{ kid: string; alg: string; status: string }>;
    // Revoking the next key publishes a fresh one, which may sign only 4 s later.
    const { kid: oldNext } = keyOf(await keys(), 'RS256', 'next');
    expect(await call('POST', `/keys/${oldNext}/revoke`, { token: adminToken })).toMatchObject({ status: 200, body: { revoked: oldNext } });
    const { kid: freshNext } = keyOf(await keys(), 'RS256', 'next');
    const { kid: active } = keyOf(await keys(), 'RS256', 'active');
    expect(freshNext).not.toBe(oldNext);

    const refused = await call('POST', '/keys/rotate', { token: adminToken, json: { alg: 'RS256' } });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: 'conflict',
      error_description: expect.stringMatching(
        new RegExp(`^the next RS256 key ${freshNext} has been published for \\d s of the 4 s \\(the pre-publication time\\) it needs before it signs: ready in \\d s; retry then, or send \\{"unpublished": true\\} to make a never-published key sign at once$`),
      ),
      retry_after: expect.any(Number),
    });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBe(refused.body.retry_after);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(4);
    // Revoking the active key is refused the same way, and leaves it active.
    const revokeRefused = await call('POST', `/keys/${active}/revoke`, { token: adminToken });
    expect(revokeRefused).toMatchObject({ status: 409, body: { error: 'conflict', retry_after: expect.any(Number) } });
    expect(revokeRefused.headers.get('retry-after')).toBe(String(revokeRefused.body.retry_after));
    expect(keyOf(await keys(), 'RS256', 'active').kid).toBe(active);

    // unpublished: a fresh key at once, named in the answer with a warning; the next key stays.
    const warning = (kid: string) =>
      `RS256 key ${kid} signs from now on without ever having been published: verifiers with a cached JWKS will miss this kid ` +
      'until they refetch the JWKS (up to JWKS_MAX_AGE, 1 s; later for those that do not refetch on an unknown kid)';
    const forced = await call('POST', `/keys/${active}/revoke`, { token: adminToken, json: { unpublished: true } });
    expect(forced.status).toBe(200);
    const replacement = forced.body.active[0].kid as string;
    expect(forced.body).toEqual({ revoked: active, active: [{ kid: replacement, alg: 'RS256' }], warning: warning(replacement) });
    const rotatedAtOnce = await call('POST', '/keys/rotate', { token: adminToken, json: { alg: 'RS256', unpublished: true } });
    expect(rotatedAtOnce.status).toBe(200);
    const fresh = rotatedAtOnce.body.active[0].kid as string;
    expect(rotatedAtOnce.body).toEqual({ active: [{ kid: fresh, alg: 'RS256' }], warning: warning(fresh) });
    expect([replacement, freshNext, active]).not.toContain(fresh);
    expect(keyOf(await keys(), 'RS256', 'next').kid).toBe(freshNext);
    const bothAtOnce = await call('POST', '/keys/rotate', { token: adminToken, json: { unpublished: true } });
    const [rs, ed, es] = ['RS256', 'EdDSA', 'ES256'].map((alg) => bothAtOnce.body.active.find((key: { alg: string }) => key.alg === alg).kid as string);
    expect(bothAtOnce.body.warning).toBe(
      `RS256 key ${rs}, EdDSA key ${ed} and ES256 key ${es} sign from now on without ever having been published: verifiers with a cached JWKS will miss these kids ` +
        'until they refetch the JWKS (up to JWKS_MAX_AGE, 1 s; later for those that do not refetch on an unknown kid)',
    );

    // Once Retry-After has passed, the same request promotes the published next key.
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    expect(await call('POST', '/keys/rotate', { token: adminToken, json: { alg: 'RS256' } })).toMatchObject({ status: 200, body: { active: [{ kid: freshNext, alg: 'RS256' }] } });

    for (const json of [{ unpublished: 'yes' }, { unpublished: 1 }]) {
      expect(await call('POST', '/keys/rotate', { token: adminToken, json })).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'unpublished must be true or false' } });
      expect(await call('POST', `/keys/${freshNext}/revoke`, { token: adminToken, json })).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'unpublished must be true or false' } });
    }
    expect(await call('POST', `/keys/${freshNext}/revoke`, { token: adminToken, json: { surprise: true } })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(keyOf(await keys(), 'RS256', 'active').kid).toBe(freshNext);
  });

  it('serves an OpenAPI 3.1 document of every operation', async () => {
    const response = await fetch(`${API()}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; servers: { url: string }[]; paths: Record<string, Record<string, { operationId: string }>> };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers[0]!.url).toBe(`${server.issuer}/admin/v1`);
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((operation) => operation.operationId));
    expect(operations.sort()).toEqual(
      [
        'createClient', 'createUser', 'deleteClient', 'disableUser', 'enableUser', 'endSession', 'importKey', 'listClients', 'listKeys', 'listSessions',
        'listUsers', 'openApi', 'resetMfa', 'revokeKey', 'revokeTokens', 'rotateKeys',
      ].sort(),
    );
  });
});
