/**
 * DPoP (RFC 9449) at Inkan: openid-client with a DPoP handle runs the client-credentials,
 * authorization-code and refresh grants and calls userinfo; tokens carry `cnf.jkt` and
 * `token_type: DPoP`; the refresh tokens of a public client are bound to the proof key; nonces
 * for clients that require them; `--require-dpop`; and every bad proof refused with its error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { createUser, HttpBrowser, openidCodeFlow, signIn } from '../../helpers/people.js';
import { decodePayload, dpopProof, keyPair, postForm, thumbprint, type KeyPair } from '../../helpers/asymmetric.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const EMAIL = 'ada@example.com';
const PASSWORD = 'analytical-engine-1843';

let server: TestServer;
let service: RegisteredClient;
let spa: RegisteredClient;
let key: KeyPair;
let otherKey: KeyPair;

beforeAll(async () => {
  server = await startInkan({ env: { ADMIN_API: 'on' } });
  await createUser(server, EMAIL, PASSWORD);
  service = await registerClient(server, ['--name', 'svc', '--scope', 'read write openid']);
  spa = await registerClient(server, [
    '--name', 'SPA', '--auth-method', 'none', '--grant-types', 'authorization_code,refresh_token',
    '--redirect-uris', REDIRECT, '--scope', 'openid email offline_access', '--skip-consent',
  ]);
  key = await keyPair('ES256');
  otherKey = await keyPair('ES256');
});
afterAll(async () => {
  await server.stop();
});

const tokenUrl = () => `${server.issuer}/token`;
const userinfoUrl = () => `${server.issuer}/userinfo`;
const discover = (clientId: string, auth: oidc.ClientAuth) =>
  oidc.discovery(new URL(server.issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });

async function handleFor(config: oidc.Configuration, pair: KeyPair) {
  return oidc.getDPoPHandle(config, { privateKey: pair.privateKey, publicKey: pair.publicKey });
}

/** client_credentials for the service client with a hand-made proof. */
function serviceToken(proof: string | undefined, client: RegisteredClient = service) {
  return postForm(tokenUrl(), { grant_type: 'client_credentials', scope: 'read' }, { authorization: basicAuth(client), ...(proof === undefined ? {} : { dpop: proof }) });
}

function expectDpopError(answer: { status: number; body: Record<string, unknown> }, error: string, description?: RegExp) {
  expect(answer.body.error).toBe(error);
  expect(answer.status).toBe(400);
  if (description !== undefined) expect(answer.body.error_description).toMatch(description);
}

/** Signs in through the pages and exchanges the code with openid-client and the DPoP handle. */
async function codeFlow(dpop: oidc.DPoPHandle) {
  const config = await discover(spa.client_id, oidc.None());
  const tokens = await openidCodeFlow(config, new HttpBrowser(server.issuer), {
    redirectUri: REDIRECT, scope: 'openid email offline_access', email: EMAIL, password: PASSWORD, dpop,
  });
  return { config, tokens };
}

describe('openid-client with a DPoP handle', () => {
  it('gets a DPoP-bound client_credentials token (cnf.jkt, token_type DPoP) and a DPoP-Nonce', async () => {
    const config = await discover(service.client_id, oidc.ClientSecretBasic(service.client_secret!));
    const response = await oidc.clientCredentialsGrant(config, { scope: 'read' }, { DPoP: await handleFor(config, key) });
    expect(response.token_type).toBe('dpop');
    expect(decodePayload(response.access_token).cnf).toEqual({ jkt: await thumbprint(key) });

    const raw = await serviceToken(await dpopProof(key, 'POST', tokenUrl()));
    expect(raw.status).toBe(200);
    expect(raw.body.token_type).toBe('DPoP');
    expect(raw.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('runs the authorization-code and refresh grants, binding the public client\'s refresh token to the key', async () => {
    const pair = await oidc.randomDPoPKeyPair('ES256');
    const jkt = await calculateJwkThumbprint(await exportJWK(pair.publicKey));
    const { config, tokens } = await codeFlow(oidc.getDPoPHandle(await discover(spa.client_id, oidc.None()), pair));
    expect(tokens.token_type).toBe('dpop');
    expect(decodePayload(tokens.access_token).cnf).toEqual({ jkt });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    // Userinfo takes the token with the DPoP scheme and a proof (openid-client adds ath).
    const dpop = oidc.getDPoPHandle(config, pair);
    const claims = await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck, { DPoP: dpop });
    expect(claims.email).toBe(EMAIL);

    // Refresh with a proof of another key: refused before the token is spent.
    const stranger = await oidc.randomDPoPKeyPair('ES256');
    const refused = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: oidc.getDPoPHandle(config, stranger) }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ error: 'invalid_dpop_proof', status: 400 });

    // Refresh without any proof: refused too.
    const bare = await postForm(tokenUrl(), { grant_type: 'refresh_token', client_id: spa.client_id, refresh_token: tokens.refresh_token! });
    expectDpopError(bare, 'invalid_dpop_proof', /bound to a DPoP key/);

    // With the bound key: a new bound pair.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop });
    expect(refreshed.token_type).toBe('dpop');
    expect(decodePayload(refreshed.access_token).cnf).toEqual({ jkt });
    const again = await oidc.refreshTokenGrant(config, refreshed.refresh_token!, undefined, { DPoP: dpop });
    expect(again.refresh_token).not.toBe(refreshed.refresh_token);
  });

  it('leaves a public client\'s refresh token unbound when the code exchange had no proof', async () => {
    const config = await discover(spa.client_id, oidc.None());
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT, scope: 'openid offline_access', code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state: 's',
    });
    const callback = await signIn(new HttpBrowser(server.issuer), url.href, EMAIL, PASSWORD);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: 's' });
    expect(tokens.token_type).toBe('bearer');
    expect(decodePayload(tokens.access_token).cnf).toBeUndefined();
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.token_type).toBe('bearer');
  });
});

describe('server nonces (clients registered with --require-dpop-nonce)', () => {
  it('answers a proof without a nonce with use_dpop_nonce and a DPoP-Nonce, then accepts the nonce', async () => {
    const client = await registerClient(server, ['--name', 'nonce-svc', '--scope', 'read', '--require-dpop-nonce']);
    const first = await serviceToken(await dpopProof(key, 'POST', tokenUrl()), client);
    expectDpopError(first, 'use_dpop_nonce', /nonce is required/);
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toEqual(expect.any(String));

    const stale = await serviceToken(await dpopProof(key, 'POST', tokenUrl(), { nonce: 'AAAAAAAAAAA-made-up-nonce' }), client);
    expectDpopError(stale, 'use_dpop_nonce', /stale/);

    const second = await serviceToken(await dpopProof(key, 'POST', tokenUrl(), { nonce: nonce! }), client);
    expect(second.status).toBe(200);
    expect(second.body.token_type).toBe('DPoP');
  });

  it('lets openid-client retry with the nonce on its own', async () => {
    const client = await registerClient(server, ['--name', 'nonce-svc-2', '--scope', 'read', '--require-dpop-nonce']);
    const config = await discover(client.client_id, oidc.ClientSecretBasic(client.client_secret!));
    const response = await oidc.clientCredentialsGrant(config, {}, { DPoP: await handleFor(config, key) });
    expect(response.token_type).toBe('dpop');
  });
});

describe('--require-dpop', () => {
  it('refuses a token request without a proof, and serves one with', async () => {
    const client = await registerClient(server, ['--name', 'dpop-only', '--scope', 'read', '--require-dpop']);
    const listed = (await server.cli(['clients', 'list'])).json<Array<Record<string, unknown>>>();
    expect(listed.find((entry) => entry.client_id === client.client_id)).toMatchObject({ require_dpop: true });
    expectDpopError(await serviceToken(undefined, client), 'invalid_dpop_proof', /must send a DPoP proof/);
    expect((await serviceToken(await dpopProof(key, 'POST', tokenUrl()), client)).status).toBe(200);
  });
});

describe('bad proofs at the token endpoint: 400 invalid_dpop_proof', () => {
  it('refuses a replayed proof', async () => {
    const proof = await dpopProof(key, 'POST', tokenUrl());
    expect((await serviceToken(proof)).status).toBe(200);
    expectDpopError(await serviceToken(proof), 'invalid_dpop_proof', /already used/);
  });

  it('refuses a wrong htu, but ignores the query and fragment', async () => {
    expectDpopError(await serviceToken(await dpopProof(key, 'POST', `${server.issuer}/userinfo`)), 'invalid_dpop_proof', /htu/);
    expectDpopError(await serviceToken(await dpopProof(key, 'POST', 'https://evil.example/token')), 'invalid_dpop_proof', /htu/);
    expect((await serviceToken(await dpopProof(key, 'POST', `${tokenUrl()}?x=1#f`))).status).toBe(200);
  });

  it('refuses a wrong htm', async () => {
    expectDpopError(await serviceToken(await dpopProof(key, 'GET', tokenUrl())), 'invalid_dpop_proof', /htm/);
  });

  it('refuses an expired or a future iat', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectDpopError(await serviceToken(await dpopProof(key, 'POST', tokenUrl(), { claims: { iat: now - 600 } })), 'invalid_dpop_proof', /too old/);
    expectDpopError(await serviceToken(await dpopProof(key, 'POST', tokenUrl(), { claims: { iat: now + 600 } })), 'invalid_dpop_proof', /future/);
  });

  it('refuses a wrong typ, a symmetric alg, a private key in the header, and a bad signature', async () => {
    expectDpopError(await serviceToken(await dpopProof(key, 'POST', tokenUrl(), { header: { typ: 'JWT' } })), 'invalid_dpop_proof', /typ/);
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { jti: 'j1', htm: 'POST', htu: tokenUrl(), iat: Math.floor(Date.now() / 1000) };
    const none = `${part({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk })}.${part(claims)}.`;
    expectDpopError(await serviceToken(none), 'invalid_dpop_proof', /alg "none"/);
    const hs = `${part({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.publicJwk })}.${part(claims)}.c2ln`;
    expectDpopError(await serviceToken(hs), 'invalid_dpop_proof', /alg "HS256"/);
    const privateJwk = await exportJWK(key.privateKey);
    expectDpopError(await serviceToken(await dpopProof(key, 'POST', tokenUrl(), { header: { jwk: privateJwk } })), 'invalid_dpop_proof', /private/);
    const { kid: _kid, use: _use, ...otherJwk } = otherKey.publicJwk;
    expectDpopError(await serviceToken(await dpopProof(key, 'POST', tokenUrl(), { header: { jwk: otherJwk } })), 'invalid_dpop_proof', /signature/);
  });

  it('refuses two proofs in one request', async () => {
    const response = await fetch(tokenUrl(), {
      method: 'POST',
      headers: [
        ['content-type', 'application/x-www-form-urlencoded'],
        ['authorization', basicAuth(service)],
        ['dpop', await dpopProof(key, 'POST', tokenUrl())],
        ['dpop', await dpopProof(key, 'POST', tokenUrl())],
      ],
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Record<string, unknown>).error).toBe('invalid_dpop_proof');
  });
});

describe('DPoP-bound tokens at userinfo', () => {
  let accessToken: string;
  beforeAll(async () => {
    const answer = await postForm(tokenUrl(), { grant_type: 'client_credentials', scope: 'openid' }, { authorization: basicAuth(service), dpop: await dpopProof(key, 'POST', tokenUrl()) });
    accessToken = answer.body.access_token as string;
  });
  const userinfo = (authorization: string, proof?: string) =>
    fetch(userinfoUrl(), { headers: { authorization, ...(proof === undefined ? {} : { dpop: proof }) } });

  it('refuses the token as Bearer with a DPoP invalid_token challenge', async () => {
    const response = await userinfo(`Bearer ${accessToken}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP realm="inkan", error="invalid_token"/);
    expect(((await response.json()) as Record<string, unknown>).error).toBe('invalid_token');
  });

  it('refuses a proof signed by another key than cnf.jkt', async () => {
    const response = await userinfo(`DPoP ${accessToken}`, await dpopProof(otherKey, 'GET', userinfoUrl(), { accessToken }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP realm="inkan", error="invalid_dpop_proof".*another key.*algs="/);
  });

  it('refuses a missing proof, a proof without or with a wrong ath, a wrong htu, and a replay', async () => {
    const check = async (response: Response, pattern: RegExp) => {
      expect(response.status).toBe(401);
      const body = (await response.json()) as Record<string, string>;
      expect(body.error).toBe('invalid_dpop_proof');
      expect(body.error_description).toMatch(pattern);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
    };
    await check(await userinfo(`DPoP ${accessToken}`), /proof is required/);
    await check(await userinfo(`DPoP ${accessToken}`, await dpopProof(key, 'GET', userinfoUrl())), /ath/);
    await check(await userinfo(`DPoP ${accessToken}`, await dpopProof(key, 'GET', userinfoUrl(), { accessToken: 'another-token' })), /ath/);
    await check(await userinfo(`DPoP ${accessToken}`, await dpopProof(key, 'GET', tokenUrl(), { accessToken })), /htu/);
    const proof = await dpopProof(key, 'GET', userinfoUrl(), { accessToken });
    // The service client has no user behind it: the proof passes, then userinfo finds no user.
    const first = await userinfo(`DPoP ${accessToken}`, proof);
    expect(first.status).toBe(401);
    expect(((await first.json()) as Record<string, string>).error).toBe('invalid_token');
    await check(await userinfo(`DPoP ${accessToken}`, proof), /already used/);
  });

  it('refuses an unbound token sent with the DPoP scheme', async () => {
    const bearer = await postForm(tokenUrl(), { grant_type: 'client_credentials', scope: 'openid' }, { authorization: basicAuth(service) });
    const token = bearer.body.access_token as string;
    const response = await userinfo(`DPoP ${token}`, await dpopProof(key, 'GET', userinfoUrl(), { accessToken: token }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);
  });

  it('introspection reports the binding', async () => {
    const answer = await postForm(`${server.issuer}/introspect`, { token: accessToken }, { authorization: basicAuth(service) });
    expect(answer.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: await thumbprint(key) } });
  });

  it('the revocation feed refuses a DPoP-bound token presented as Bearer', async () => {
    const reader = await registerClient(server, ['--name', 'feed-reader', '--scope', 'revocations:read']);
    const answer = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, { authorization: basicAuth(reader), dpop: await dpopProof(key, 'POST', tokenUrl()) });
    const response = await fetch(`${server.issuer}/revocations/feed`, { headers: { authorization: `Bearer ${answer.body.access_token as string}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);
    await response.body?.cancel();
  });

  it('the admin API refuses a DPoP-bound admin token presented as Bearer', async () => {
    const admin = await registerClient(server, ['--name', 'admin-tool', '--scope', 'admin']);
    const answer = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, { authorization: basicAuth(admin), dpop: await dpopProof(key, 'POST', tokenUrl()) });
    expect(answer.body.token_type).toBe('DPoP');
    const response = await fetch(`${server.issuer}/admin/v1/clients`, { headers: { authorization: `Bearer ${answer.body.access_token as string}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);
  });
});
