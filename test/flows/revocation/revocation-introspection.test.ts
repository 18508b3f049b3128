/**
 * RFC 7009 (POST revocation_endpoint) and RFC 7662 (POST introspection_endpoint) over HTTP,
 * including every bad token the issue names: expired, revoked, malformed, wrongly signed,
 * `alg: none`, HS256 keyed with the public key, and tokens of another type or another client.
 * Introspection describes an access token to its own client and to resource servers registered
 * with one of its audiences; to any other client it is `{"active": false}`, like an unknown token.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader, exportSPKI, importJWK, SignJWT, generateKeyPair, type JWK } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import {
  type AppClient,
  endpoint,
  introspect,
  MovableClock,
  postForm,
  refresh,
  registerApp,
  revoke,
  startFamily,
} from '../../helpers/refresh.js';

const clock = new MovableClock();
let server: TestServer;
let app: AppClient;
let other: AppClient;
let service: RegisteredClient;
/** A resource server registered as a client, for the audience of `service`'s tokens. */
let api: RegisteredClient;
/** A resource server for another audience. */
let elsewhere: RegisteredClient;

beforeAll(async () => {
  server = await startInkan({ core: { clock } });
  [app, other, service, api, elsewhere] = await Promise.all([
    registerApp(server),
    registerApp(server),
    registerClient(server, ['--name', 'api', '--scope', 'read', '--resources', 'https://api.example.com']),
    registerClient(server, ['--name', 'api-resource-server', '--resources', 'https://api.example.com,https://api2.example.com']),
    registerClient(server, ['--name', 'other-resource-server', '--resources', 'https://elsewhere.example.com']),
  ]);
});
afterAll(async () => {
  await server.stop();
});

/** A fresh login of `app` and the tokens of its first refresh. */
async function tokensOf(client: AppClient = app) {
  const login = await startFamily(server, client);
  const { body } = await refresh(server, client, login.refreshToken);
  return { ...login, accessToken: body.access_token as string, idToken: body.id_token as string, refreshToken: body.refresh_token as string };
}

async function clientCredentialsToken(): Promise<string> {
  const { body } = await postForm(server, 'token_endpoint', { grant_type: 'client_credentials', resource: 'https://api.example.com' }, service);
  return body.access_token as string;
}

async function publishedRsaKey(): Promise<JWK> {
  const jwks = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: JWK[] };
  return jwks.keys.find((key) => key.kty === 'RSA')!;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('discovery', () => {
  it('lists both endpoints and their auth methods', async () => {
    const document = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(document.revocation_endpoint).toBe(`${server.issuer}/revoke`);
    expect(document.introspection_endpoint).toBe(`${server.issuer}/introspect`);
    expect(document.revocation_endpoint_auth_methods_supported).toContain('client_secret_basic');
    expect(document.introspection_endpoint_auth_methods_supported).toContain('client_secret_basic');
  });
});

describe('introspection (RFC 7662)', () => {
  it('describes a live access token with its claims', async () => {
    const tokens = await tokensOf();
    const response = await introspect(server, app, tokens.accessToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const claims = decodeJwt(tokens.accessToken);
    expect(response.body).toEqual({
      active: true,
      scope: 'openid profile email offline_access api',
      client_id: app.client_id,
      sub: tokens.person.id,
      exp: claims.exp,
      iat: claims.iat,
      iss: server.issuer,
      aud: server.issuer,
      jti: claims.jti,
      token_type: 'Bearer',
      sid: tokens.sid,
      auth_time: claims.auth_time,
    });
  });

  it('describes an access token to its own client', async () => {
    const token = await clientCredentialsToken();
    const response = await introspect(server, service, token);
    expect(response.body).toMatchObject({ active: true, client_id: service.client_id, sub: service.client_id, aud: 'https://api.example.com', scope: 'read' });
  });

  it('describes an access token to a resource server registered with one of its audiences (--resources)', async () => {
    const token = await clientCredentialsToken();
    const response = await introspect(server, api, token);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ active: true, client_id: service.client_id, sub: service.client_id, aud: 'https://api.example.com', scope: 'read' });
  });

  it('describes a token with several audiences to a resource server registered with any one of them', async () => {
    const multi = await registerClient(server, ['--name', 'multi', '--scope', 'read', '--resources', 'https://api2.example.com,https://elsewhere.example.com']);
    const response = await fetch(await endpoint(server, 'token_endpoint'), {
      method: 'POST',
      headers: { authorization: basicAuth(multi), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([['grant_type', 'client_credentials'], ['resource', 'https://api2.example.com'], ['resource', 'https://elsewhere.example.com']]),
    });
    const token = ((await response.json()) as { access_token: string }).access_token;
    expect(decodeJwt(token).aud).toEqual(['https://api2.example.com', 'https://elsewhere.example.com']);
    for (const client of [multi, api, elsewhere]) {
      expect((await introspect(server, client, token)).body).toMatchObject({ active: true, client_id: multi.client_id, aud: ['https://api2.example.com', 'https://elsewhere.example.com'] });
    }
    expect((await introspect(server, service, token)).body).toEqual({ active: false });
  });

  it('answers an unrelated confidential client {"active": false} and nothing else, for a live token', async () => {
    const serviceToken = await clientCredentialsToken();
    const personToken = (await tokensOf()).accessToken;
    for (const [client, token] of [[app, serviceToken], [other, serviceToken], [elsewhere, serviceToken], [api, personToken], [other, personToken]] as const) {
      const response = await introspect(server, client, token);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ active: false });
    }
    // The same tokens are live for those entitled to them.
    expect((await introspect(server, api, serviceToken)).body.active).toBe(true);
    expect((await introspect(server, app, personToken)).body.active).toBe(true);
  });

  it('describes a live refresh token to its own client only', async () => {
    const tokens = await tokensOf();
    const own = await introspect(server, app, tokens.refreshToken, { token_type_hint: 'refresh_token' });
    expect(own.body).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: app.client_id,
      sub: tokens.person.id,
      sid: tokens.sid,
      scope: 'openid profile email offline_access api',
      iss: server.issuer,
    });
    expect(own.body.exp).toBeGreaterThan(clock.nowSeconds());
    expect((await introspect(server, other, tokens.refreshToken)).body).toEqual({ active: false });
    expect((await introspect(server, service, tokens.refreshToken)).body).toEqual({ active: false });
  });

  it('reports a consumed refresh token as inactive', async () => {
    const login = await startFamily(server, app);
    await refresh(server, app, login.refreshToken);
    expect((await introspect(server, app, login.refreshToken)).body).toEqual({ active: false });
  });

  it('reports malformed and unknown tokens as inactive', async () => {
    for (const token of ['abc', 'a.b.c', 'eyJhbGciOiJSUzI1NiJ9.e30.', 'x'.repeat(43), 'x'.repeat(20_000), '....']) {
      const response = await introspect(server, app, token);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ active: false });
    }
  });

  it('reports an ID token as inactive (typ is not at+jwt)', async () => {
    const tokens = await tokensOf();
    expect(decodeProtectedHeader(tokens.idToken).typ).toBe('JWT');
    expect((await introspect(server, app, tokens.idToken)).body).toEqual({ active: false });
  });

  it('reports a token signed with a key Inkan never published as inactive, even with a published kid', async () => {
    const published = await publishedRsaKey();
    const { privateKey } = await generateKeyPair('RS256');
    const claims = decodeJwt(await clientCredentialsToken());
    const forged = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: published.kid! })
      .sign(privateKey);
    expect((await introspect(server, app, forged)).body).toEqual({ active: false });
  });

  it('reports an alg:none token as inactive', async () => {
    const claims = decodeJwt(await clientCredentialsToken());
    const unsigned = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`;
    expect((await introspect(server, app, unsigned)).body).toEqual({ active: false });
  });

  it('reports an HS256 token keyed with the public key as inactive', async () => {
    const published = await publishedRsaKey();
    const claims = decodeJwt(await clientCredentialsToken());
    const pem = await exportSPKI((await importJWK(published, 'RS256')) as Parameters<typeof exportSPKI>[0]);
    for (const secret of [pem, JSON.stringify(published), published.n!]) {
      const header = b64({ alg: 'HS256', typ: 'at+jwt', kid: published.kid });
      const body = b64(claims);
      const mac = crypto.createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
      expect((await introspect(server, app, `${header}.${body}.${mac}`)).body).toEqual({ active: false });
    }
  });

  it('reports an expired access token as inactive', async () => {
    const login = await startFamily(server, app);
    const { body } = await refresh(server, app, login.refreshToken);
    expect((await introspect(server, app, body.access_token)).body.active).toBe(true);
    clock.advance(server.deps.config.accessTokenTtlSeconds + 1);
    expect((await introspect(server, app, body.access_token)).body).toEqual({ active: false });
  });

  it('refuses a public client with invalid_client', async () => {
    const spa = await registerClient(server, ['--name', 'spa', '--auth-method', 'none', '--grant-types', 'authorization_code,refresh_token', '--redirect-uris', 'https://spa.example/cb', '--scope', 'openid offline_access']);
    const response = await introspect(server, spa, await clientCredentialsToken());
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
  });

  it('refuses a request without client authentication, with a wrong secret, or without token', async () => {
    const token = await clientCredentialsToken();
    const anonymous = await postForm(server, 'introspection_endpoint', { token });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
    const wrong = await introspect(server, { client_id: app.client_id, client_secret: 'wrong' }, token);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    const missing = await postForm(server, 'introspection_endpoint', {}, app);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
  });

  it('accepts only POST', async () => {
    const response = await fetch(await endpoint(server, 'introspection_endpoint'), { headers: { authorization: basicAuth(app) } });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});

describe('revocation (RFC 7009)', () => {
  it('ends the whole family of a revoked refresh token, and the access tokens it issued (§2.1)', async () => {
    const tokens = await tokensOf();
    // The same login, another client: its tokens are another grant and must survive.
    const sibling = await startFamily(server, other, { person: tokens.person, sid: tokens.sid });
    const siblingAccess = (await refresh(server, other, sibling.refreshToken)).body.access_token as string;
    const response = await revoke(server, app, tokens.refreshToken, { token_type_hint: 'refresh_token' });
    expect(response.status).toBe(200);
    expect(response.body).toBeUndefined();
    expect((await refresh(server, app, tokens.refreshToken)).body.error).toBe('invalid_grant');
    expect((await introspect(server, app, tokens.refreshToken)).body).toEqual({ active: false });
    expect((await introspect(server, app, tokens.accessToken)).body).toEqual({ active: false });
    expect((await introspect(server, other, siblingAccess)).body.active).toBe(true);
    // One grant record: exactly the family's grant, neither the session nor the client.
    const grantId = decodeJwt(tokens.accessToken).grant_id;
    expect(typeof grantId).toBe('string');
    const records = server.deps.revocations.snapshot().filter((r) => r.target.kind !== 'jti');
    expect(records.filter((r) => r.target.kind === 'grant' && r.target.grantId === grantId)).toHaveLength(1);
    expect(records.filter((r) => r.target.kind === 'session' && r.target.sid === tokens.sid)).toEqual([]);
  });

  it('revokes the access tokens of a family whose refresh token was replayed (theft)', async () => {
    const login = await startFamily(server, app);
    const first = await refresh(server, app, login.refreshToken);
    clock.advance(60); // past the grace window: the replay is theft, not a retry
    expect((await refresh(server, app, login.refreshToken)).body.error).toBe('invalid_grant');
    expect((await introspect(server, app, first.body.access_token as string)).body).toEqual({ active: false });
  });

  it('revokes an access token by jti until its exp: introspection says inactive at once', async () => {
    const tokens = await tokensOf();
    const response = await revoke(server, app, tokens.accessToken, { token_type_hint: 'access_token' });
    expect(response.status).toBe(200);
    expect((await introspect(server, app, tokens.accessToken)).body).toEqual({ active: false });
    const { jti, exp } = decodeJwt(tokens.accessToken);
    const record = server.deps.revocations.snapshot().find((r) => r.target.kind === 'jti' && r.target.jti === jti);
    expect(record?.expiresAt).toBe(exp);
    // The refresh token is a different grant artefact and lives on.
    expect((await refresh(server, app, tokens.refreshToken)).status).toBe(200);
  });

  it('treats the hint as a hint: a wrong or unknown hint still revokes', async () => {
    const tokens = await tokensOf();
    expect((await revoke(server, app, tokens.accessToken, { token_type_hint: 'refresh_token' })).status).toBe(200);
    expect((await introspect(server, app, tokens.accessToken)).body).toEqual({ active: false });
    expect((await revoke(server, app, tokens.refreshToken, { token_type_hint: 'something_else' })).status).toBe(200);
    expect((await introspect(server, app, tokens.refreshToken)).body).toEqual({ active: false });
  });

  it('answers 200 for another client\'s tokens and revokes nothing', async () => {
    const tokens = await tokensOf();
    expect((await revoke(server, other, tokens.refreshToken)).status).toBe(200);
    expect((await revoke(server, other, tokens.accessToken)).status).toBe(200);
    expect((await introspect(server, app, tokens.accessToken)).body.active).toBe(true);
    expect((await refresh(server, app, tokens.refreshToken)).status).toBe(200);
  });

  it('answers 200 for unknown, malformed and forged tokens', async () => {
    const claims = decodeJwt(await clientCredentialsToken());
    for (const token of ['x'.repeat(43), 'abc', 'a.b.c', `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`]) {
      const response = await revoke(server, app, token);
      expect(response.status).toBe(200);
      expect(response.body).toBeUndefined();
    }
  });

  it('answers 200 for a token of another type (an ID token) and revokes nothing', async () => {
    const tokens = await tokensOf();
    expect((await revoke(server, app, tokens.idToken)).status).toBe(200);
    expect((await revoke(server, app, tokens.idToken, { token_type_hint: 'access_token' })).status).toBe(200);
    expect((await introspect(server, app, tokens.accessToken)).body.active).toBe(true);
    expect((await refresh(server, app, tokens.refreshToken)).status).toBe(200);
  });

  it('lets a public client revoke its own refresh token with its client_id', async () => {
    const spa = await registerApp(server, ['--auth-method', 'none']);
    const login = await startFamily(server, spa);
    expect(spa.client_secret).toBeUndefined();
    expect((await revoke(server, spa, login.refreshToken)).status).toBe(200);
    expect((await refresh(server, spa, login.refreshToken)).body.error).toBe('invalid_grant');
  });

  it('refuses a request without client authentication, with a wrong secret, or without token', async () => {
    const tokens = await tokensOf();
    const anonymous = await postForm(server, 'revocation_endpoint', { token: tokens.refreshToken });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
    const wrong = await revoke(server, { client_id: app.client_id, client_secret: 'wrong' }, tokens.refreshToken);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    const missing = await postForm(server, 'revocation_endpoint', { token_type_hint: 'refresh_token' }, app);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    // Nothing of that revoked the token.
    expect((await refresh(server, app, tokens.refreshToken)).status).toBe(200);
  });

  it('accepts only POST', async () => {
    const response = await fetch(await endpoint(server, 'revocation_endpoint'));
    expect(response.status).toBe(405);
  });
});
