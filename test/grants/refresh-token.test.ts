/**
 * The refresh_token grant (src/grants/refresh-token.ts) called directly, as the token endpoint
 * calls it once the client is authenticated: real SQLite stores, real keys, a clock that stands
 * still, families started as the authorization-code grant starts them, no HTTP. Each rule of its
 * header comment, every refusal with its exact OAuthError: refresh_token required, one longer than
 * any Inkan issues refused; rotation (a successor, the presented token consumed); the new access
 * token with the login's `sid` and `auth_time` and `grant_id` = the family's id; a narrower scope
 * for the access token only, a wider one invalid_scope, and an unregistered resource invalid_target
 * before anything is consumed; a new ID token for `openid` (same sub, auth_time and sid, no nonce);
 * DPoP: the new access token bound to the proof key, a bound family refreshed only with a proof.
 * (The rotation policy itself, reuse and the grace window, is refresh/service.ts's, over HTTP in
 * test/flows/refresh/rotation.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/deps.js';
import type { TokenRequest } from '../../src/grants/grant.js';
import type { ClientRecord } from '../../src/storage/clients.js';
import { hashSecret, randomSecret } from '../../src/tokens/secrets.js';
import { keyPair, thumbprint } from '../helpers/asymmetric.js';
import { createTestDeps, TEST_ISSUER, type Closable } from '../helpers/deps.js';
import { exchange, expectOAuthError, fullPersonAnswer, registeredClient, tokenRequest, verifiedToken } from '../helpers/grants.js';
import { movableClock } from '../helpers/people.js';
import { startFamily, type Login } from '../helpers/refresh.js';

const API = 'https://api.example.com';
const SCOPE = 'openid profile email offline_access api';

const clock = movableClock();
let deps: Closable<Deps>;
let app: ClientRecord;
let other: ClientRecord;

beforeAll(async () => {
  deps = await createTestDeps({ clock });
  const register = (name: string) =>
    registeredClient(deps, { name, grantTypes: ['authorization_code', 'refresh_token'], redirectUris: ['https://app.example.com/cb'], scope: SCOPE, resources: [API] });
  app = await register('app');
  other = await register('other');
});
afterAll(async () => {
  await deps.close();
});

const login = (options: { dpopJkt?: string } = {}): Promise<Login> => startFamily({ deps }, { record: app }, { scopes: SCOPE.split(' '), ...options });

const refresh = (refreshToken: string | undefined, params: Record<string, string> = {}, extra: Partial<Pick<TokenRequest, 'resources' | 'dpop'>> = {}, client = app) =>
  exchange(deps, tokenRequest('refresh_token', client, { refresh_token: refreshToken, ...params }, extra));

const stored = async (refreshToken: string) => deps.stores.refreshTokens.find(hashSecret(refreshToken));

describe('refuses', () => {
  it('a request without refresh_token (invalid_request)', async () => {
    await expectOAuthError(refresh(undefined), 'invalid_request', 'refresh_token is required');
  });

  it('a token longer than any Inkan issues, as it refuses an unknown one', async () => {
    await expectOAuthError(refresh('r'.repeat(201)), 'invalid_grant', 'the refresh token is invalid');
    await expectOAuthError(refresh(randomSecret()), 'invalid_grant', 'the refresh token is invalid');
  });

  it("another client's token, as unknown", async () => {
    const { refreshToken } = await login();
    await expectOAuthError(refresh(refreshToken, {}, {}, other), 'invalid_grant', 'the refresh token is invalid');
    expect((await stored(refreshToken))?.token.consumedAt).toBeNull();
  });

  it('a scope wider than the family was granted (invalid_scope), without consuming the token', async () => {
    const { refreshToken } = await login();
    await expectOAuthError(refresh(refreshToken, { scope: 'api admin' }), 'invalid_scope', 'the scope "admin" was not granted to this refresh token');
    expect((await stored(refreshToken))?.token.consumedAt).toBeNull();
    expect((await refresh(refreshToken)).scope).toBe(SCOPE);
  });

  it('a resource the client was not registered with (invalid_target), without consuming the token', async () => {
    const { refreshToken } = await login();
    await expectOAuthError(refresh(refreshToken, {}, { resources: ['https://elsewhere.example.com'] }), 'invalid_target', 'the client may not request the resource "https://elsewhere.example.com"');
    expect((await stored(refreshToken))?.token.consumedAt).toBeNull();
    const { payload } = await verifiedToken(deps, (await refresh(refreshToken, {}, { resources: [API] })).access_token, 'at+jwt');
    expect(payload.aud).toBe(API);
  });
});

describe('a refresh', () => {
  it('rotates: hands out a successor and consumes the presented token', async () => {
    const { refreshToken } = await login();
    const response = await refresh(refreshToken);
    expect(response).toEqual(fullPersonAnswer(deps, SCOPE));
    const successor = response.refresh_token!;
    expect(successor).not.toBe(refreshToken);
    expect((await stored(refreshToken))?.token).toMatchObject({ consumedAt: clock.nowSeconds(), successorHash: hashSecret(successor) });
    expect((await stored(successor))?.token.consumedAt).toBeNull();
    expect((await refresh(successor)).refresh_token).not.toBe(successor);
  });

  it("issues an access token with the login's sid and auth_time, and grant_id = the family's id, across rotations", async () => {
    const { person, sid, refreshToken } = await login();
    const family = (await stored(refreshToken))!.family;
    const first = await refresh(refreshToken);
    const second = await refresh(first.refresh_token!);
    for (const response of [first, second]) {
      const { payload } = await verifiedToken(deps, response.access_token, 'at+jwt');
      expect(payload).toMatchObject({ iss: TEST_ISSUER, sub: person.id, aud: TEST_ISSUER, client_id: app.clientId, scope: SCOPE, sid, auth_time: family.authTime, grant_id: family.id });
    }
  });

  it("carries the login's amr and acr again, in the ID and the access token", async () => {
    const { refreshToken } = await startFamily({ deps }, { record: app }, { scopes: SCOPE.split(' '), authMethods: ['pwd', 'otp'], acr: 'urn:inkan:acr:mfa' });
    const response = await refresh(refreshToken);
    for (const [token, typ] of [[response.id_token!, 'JWT'], [response.access_token, 'at+jwt']] as const) {
      expect((await verifiedToken(deps, token, typ)).payload).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:inkan:acr:mfa' });
    }
    // A family from before migration 0017 was a password sign-in.
    const plain = await refresh((await login()).refreshToken);
    expect((await verifiedToken(deps, plain.id_token!, 'JWT')).payload).toMatchObject({ amr: ['pwd'], acr: 'urn:inkan:acr:pwd' });
  });

  it('issues a new ID token with the same sub, auth_time and sid and no nonce', async () => {
    const { person, sid, refreshToken } = await login();
    const response = await refresh(refreshToken);
    const { header, payload } = await verifiedToken(deps, response.id_token!, 'JWT');
    expect(header.alg).toBe(app.alg);
    expect(payload).toMatchObject({ iss: TEST_ISSUER, sub: person.id, aud: app.clientId, auth_time: (await stored(refreshToken))!.family.authTime, sid, name: 'Ada Example', email: person.email });
    expect(payload.nonce).toBeUndefined();
  });

  it('grants a narrower scope to its access token only (no ID token without openid); the family keeps its scope', async () => {
    const { refreshToken } = await login();
    const narrowed = await refresh(refreshToken, { scope: 'api' });
    expect(narrowed.scope).toBe('api');
    expect(narrowed.id_token).toBeUndefined();
    expect((await verifiedToken(deps, narrowed.access_token, 'at+jwt')).payload.scope).toBe('api');
    expect((await refresh(narrowed.refresh_token!)).scope).toBe(SCOPE);
  });
});

describe('DPoP', () => {
  it('binds the new access token to the proof key', async () => {
    const jkt = await thumbprint(await keyPair('ES256'));
    const response = await refresh((await login()).refreshToken, {}, { dpop: { jkt } });
    expect(response.token_type).toBe('DPoP');
    expect((await verifiedToken(deps, response.access_token, 'at+jwt')).payload.cnf).toEqual({ jkt });
  });

  it("refreshes a family bound to a key only with a proof of that key, before consuming anything", async () => {
    const jkt = await thumbprint(await keyPair('ES256'));
    const { refreshToken } = await login({ dpopJkt: jkt });
    await expectOAuthError(refresh(refreshToken), 'invalid_dpop_proof', 'this refresh token is bound to a DPoP key: send a DPoP proof of that key');
    const otherKey = await thumbprint(await keyPair('ES256'));
    await expectOAuthError(refresh(refreshToken, {}, { dpop: { jkt: otherKey } }), 'invalid_dpop_proof', 'the DPoP proof is signed by another key than the one this refresh token is bound to');
    expect((await stored(refreshToken))?.token.consumedAt).toBeNull();
    expect((await refresh(refreshToken, {}, { dpop: { jkt } })).token_type).toBe('DPoP');
  });
});
