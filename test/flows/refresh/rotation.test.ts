/**
 * The refresh_token grant over HTTP: rotation through openid-client, reuse detection, the grace
 * window, scope narrowing, and every bad input with its exact error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient } from '../../helpers/clients.js';
import { REFRESH_GRACE_SECONDS } from '../../../src/refresh/service.js';
import { hashSecret } from '../../../src/tokens/secrets.js';
import { type AppClient, createPerson, introspect, MovableClock, oidcConfig, refresh, registerApp, startFamily } from '../../helpers/refresh.js';

const IDLE_TTL = 3600;
const ABSOLUTE_TTL = 3 * 3600;
const clock = new MovableClock();
let server: TestServer;
let app: AppClient;
let other: AppClient;

beforeAll(async () => {
  server = await startInkan({
    env: { REFRESH_TOKEN_IDLE_TTL: String(IDLE_TTL), REFRESH_TOKEN_TTL: String(ABSOLUTE_TTL) },
    core: { clock },
  });
  [app, other] = await Promise.all([registerApp(server), registerApp(server)]);
});
afterAll(async () => {
  await server.stop();
});

const leaveGraceWindow = () => clock.advance(REFRESH_GRACE_SECONDS + 1);

describe('rotation through openid-client', () => {
  it('rotates on every use, and every access token and ID token verifies with the JWKS', async () => {
    const login = await startFamily(server, app);
    const config = await oidcConfig(server, app);
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const seen = new Set([login.refreshToken]);
    let current = login.refreshToken;
    for (let round = 0; round < 6; round += 1) {
      const response = await oidc.refreshTokenGrant(config, current);
      expect(response.refresh_token).toEqual(expect.any(String));
      expect(seen.has(response.refresh_token!)).toBe(false);
      expect(response.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      seen.add(response.refresh_token!);
      current = response.refresh_token!;

      expect(response.scope).toBe('openid profile email offline_access api');
      const { payload } = await jwtVerify(response.access_token, jwks, { issuer: server.issuer, typ: 'at+jwt', audience: server.issuer });
      expect(payload).toMatchObject({ sub: login.person.id, client_id: app.client_id, sid: login.sid, scope: response.scope });
      const claims = response.claims()!;
      expect(claims).toMatchObject({ sub: login.person.id, aud: app.client_id, sid: login.sid, email: login.person.email, name: 'Ada Example' });
      expect(claims.nonce).toBeUndefined();
    }
    // Only hashes are stored: the raw token is not a key of the store, its SHA-256 is.
    expect(await server.deps.stores.refreshTokens.find(current)).toBeUndefined();
    expect((await server.deps.stores.refreshTokens.find(hashSecret(current)))?.token.consumedAt).toBeNull();
  });

  it('revokes the whole family when an old token is replayed after the grace window; the newest fails too', async () => {
    const login = await startFamily(server, app);
    const config = await oidcConfig(server, app);
    const first = await oidc.refreshTokenGrant(config, login.refreshToken);
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    leaveGraceWindow();

    const replay = await refresh(server, app, login.refreshToken);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect(replay.body.error_description).toMatch(/already used/);

    const newest = await refresh(server, app, second.refresh_token!);
    expect(newest.status).toBe(400);
    expect(newest.body).toMatchObject({ error: 'invalid_grant', error_description: 'the refresh token was revoked' });
    expect((await introspect(server, app, second.refresh_token!)).body).toEqual({ active: false });
  });
});

describe('grace window', () => {
  it('answers a retry of the same token with the same successor, and keeps one chain', async () => {
    const login = await startFamily(server, app);
    const first = await refresh(server, app, login.refreshToken);
    const retry = await refresh(server, app, login.refreshToken);
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body.refresh_token).toBe(first.body.refresh_token);
    expect(retry.body.access_token).not.toBe(first.body.access_token);

    // The chain goes on from that one successor.
    const next = await refresh(server, app, first.body.refresh_token);
    expect(next.status).toBe(200);
    // Once the successor was used, the retry window is over for its predecessor: theft.
    const late = await refresh(server, app, login.refreshToken);
    expect(late.body.error).toBe('invalid_grant');
    expect((await refresh(server, app, next.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('hands the retry of a rotation whose answer was lost (server killed after the commit) the committed successor', async () => {
    const login = await startFamily(server, app);
    // The rotation commits in-process and its answer never reaches the client.
    const lost = await server.deps.refreshTokens.rotate(login.refreshToken, app.record, undefined);
    const retry = await refresh(server, app, login.refreshToken);
    expect(retry.status).toBe(200);
    expect(retry.body.refresh_token).toBe(lost.refreshToken);
    expect((await refresh(server, app, retry.body.refresh_token)).status).toBe(200);
  });

  it('treats the same retry after the window as theft', async () => {
    const login = await startFamily(server, app);
    const first = await refresh(server, app, login.refreshToken);
    leaveGraceWindow();
    expect((await refresh(server, app, login.refreshToken)).body.error).toBe('invalid_grant');
    expect((await refresh(server, app, first.body.refresh_token)).body.error).toBe('invalid_grant');
  });
});

describe('scope', () => {
  it('narrows the access token to a subset, keeps the family scope for the next refresh, and drops the ID token without openid', async () => {
    const login = await startFamily(server, app);
    const narrow = await refresh(server, app, login.refreshToken, { scope: 'api' });
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope).toBe('api');
    expect(narrow.body.id_token).toBeUndefined();
    const full = await refresh(server, app, narrow.body.refresh_token);
    expect(full.body.scope).toBe('openid profile email offline_access api');
    expect(full.body.id_token).toEqual(expect.any(String));
  });

  it('refuses a scope that was not granted with invalid_scope, without consuming the token', async () => {
    const login = await startFamily(server, app, { scopes: ['openid', 'offline_access'] });
    const wider = await refresh(server, app, login.refreshToken, { scope: 'openid api' });
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');
    expect((await refresh(server, app, login.refreshToken)).status).toBe(200);
  });
});

describe('bad input', () => {
  it('refuses a request without refresh_token with invalid_request', async () => {
    const response = await refresh(server, app, '');
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
  });

  it('refuses an unknown token with invalid_grant', async () => {
    const response = await refresh(server, app, 'x'.repeat(43));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_grant', error_description: 'the refresh token is invalid' });
    expect((await refresh(server, app, 'y'.repeat(5000))).body.error).toBe('invalid_grant');
  });

  it('refuses another client\'s token with invalid_grant and leaves it usable by its own client', async () => {
    const login = await startFamily(server, app);
    const stolen = await refresh(server, other, login.refreshToken);
    expect(stolen.status).toBe(400);
    expect(stolen.body).toMatchObject({ error: 'invalid_grant', error_description: 'the refresh token is invalid' });
    expect((await refresh(server, app, login.refreshToken)).status).toBe(200);
  });

  it('refuses a token of another type (an access token, an ID token) with invalid_grant', async () => {
    const login = await startFamily(server, app);
    const tokens = (await refresh(server, app, login.refreshToken)).body;
    for (const token of [tokens.access_token, tokens.id_token]) {
      const response = await refresh(server, app, token);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_grant');
    }
  });

  it('refuses a token past its idle expiry with invalid_grant', async () => {
    const login = await startFamily(server, app);
    clock.advance(IDLE_TTL + 1);
    const response = await refresh(server, app, login.refreshToken);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_grant', error_description: 'the refresh token has expired' });
  });

  it('refuses a family past its absolute expiry (REFRESH_TOKEN_TTL) however recently it was used', async () => {
    const login = await startFamily(server, app);
    let current = login.refreshToken;
    // Used every 50 minutes: never idle for an hour, but the family is three hours old at the end.
    for (let step = 0; step < 3; step += 1) {
      clock.advance(50 * 60);
      const response = await refresh(server, app, current);
      expect(response.status).toBe(200);
      current = response.body.refresh_token;
    }
    clock.advance(31 * 60);
    const response = await refresh(server, app, current);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_grant', error_description: 'the refresh token has expired' });
  });

  it('refuses the token of a disabled user with invalid_grant', async () => {
    const person = await createPerson(server);
    const login = await startFamily(server, app, { person });
    await server.deps.stores.users.disable(person.id, clock.nowSeconds());
    const response = await refresh(server, app, login.refreshToken);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
  });

  it('refuses a token revoked at the revocation endpoint with invalid_grant', async () => {
    const login = await startFamily(server, app);
    const { body } = await refresh(server, app, login.refreshToken);
    expect((await server.deps.refreshTokens.revokeFamilyOf(body.refresh_token, app.client_id))).toBe(true);
    const response = await refresh(server, app, body.refresh_token);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_grant', error_description: 'the refresh token was revoked' });
  });

  it('refuses a client not registered for the refresh_token grant with unauthorized_client', async () => {
    const codeOnly = await registerClient(server, ['--name', 'code-only', '--grant-types', 'authorization_code', '--redirect-uris', 'https://a.example/cb', '--scope', 'openid']);
    const response = await refresh(server, codeOnly, 'x'.repeat(43));
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('unauthorized_client');
  });

  it('ends refresh for a deleted client: its credentials no longer authenticate (invalid_client) and its families are revoked', async () => {
    const doomed = await registerApp(server);
    const login = await startFamily(server, doomed);
    const deleted = await server.cli(['clients', 'delete', doomed.client_id]);
    expect(deleted.code).toBe(0);
    const response = await refresh(server, doomed, login.refreshToken);
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
    const found = await server.deps.stores.refreshTokens.find(hashSecret(login.refreshToken));
    expect(found?.family.revokedAt).toEqual(expect.any(Number));
  });

  it('lists the refresh_token grant in discovery', async () => {
    const config = await oidcConfig(server, app);
    expect(config.serverMetadata().grant_types_supported).toContain('refresh_token');
  });
});
