/**
 * ES256 as relying parties meet it: clients registered with `--alg ES256` get access tokens
 * (client credentials) and ID tokens (the authorization-code flow through openid-client) signed
 * with the ES256 key, which three independent verifiers accept from nothing but the JWKS: jose
 * `createRemoteJWKSet`, PyJWT (a Python service, `PyJWKClient` on the jwks_uri) and Inkan's own SDK
 * (`@inkan/verifier`). Through `keys rotate --alg ES256`: tokens signed before and after both
 * verify, the new key was in the JWKS (and in the verifiers' caches) before it signed, and the
 * RS256 and EdDSA keys do not move. Discovery lists ES256; the JWKS entries are RFC 7518 §6.2 EC
 * keys; `keys revoke` takes an ES256 key out at once; an ES256 ID token works as end-session's
 * id_token_hint; an ES256 client's back-channel `logout_token` is signed ES256.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { createVerifier, type Verifier } from '@inkan/verifier';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { createUser, HttpBrowser, openidCodeFlow } from '../../helpers/people.js';
import { recordSecrets } from '../../helpers/secrets.js';
import { pyJwtAvailable, verifyWithPyJwt } from '../../helpers/pyjwt.js';
import { accessToken, jwksUri, kidOf, listKeys, publishedKids, waitFor } from './support.js';
import { LogoutReceiver, REDIRECT as LOGOUT_RP_REDIRECT, signInTo, verifyLogoutToken } from '../backchannel-logout/relying-party.js';

const havePyJwt = pyJwtAvailable('test/flows/signing-keys/es256.test.ts');
const REDIRECT = 'http://127.0.0.1:9/callback';
const AFTER_LOGOUT = 'http://127.0.0.1:9/bye';
const EMAIL = 'lovelace@example.com';
const PASSWORD = 'note-g-bernoulli-1843';
// A short pre-publication time (JWKS_MAX_AGE + 3 s) keeps `keys rotate` quick.
const JWKS_MAX_AGE = 2;

let server: TestServer;
let service: RegisteredClient;
let web: RegisteredClient;
let config: oidc.Configuration;

beforeAll(async () => {
  server = await startInkan({ env: { JWKS_MAX_AGE: String(JWKS_MAX_AGE) } });
  service = await registerClient(server, ['--name', 'es256-service', '--alg', 'ES256']);
  web = await registerClient(server, [
    '--name', 'es256-web', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT,
    '--post-logout-redirect-uris', AFTER_LOGOUT, '--scope', 'openid email', '--alg', 'ES256', '--skip-consent',
  ]);
  await createUser(server, EMAIL, PASSWORD);
  config = await oidc.discovery(new URL(server.issuer), web.client_id, undefined, oidc.ClientSecretBasic(web.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
});
afterAll(async () => {
  await server?.stop();
});

async function idTokenFlow(browser = new HttpBrowser(server.issuer)): Promise<{ idToken: string; accessToken: string }> {
  const tokens = await openidCodeFlow(config, browser, { redirectUri: REDIRECT, scope: 'openid email', email: EMAIL, password: PASSWORD });
  recordSecrets(tokens.id_token, tokens.access_token);
  // openid-client checked iss, aud, exp, iat and the nonce-less code flow's claims already.
  expect(tokens.claims()).toMatchObject({ iss: server.issuer, aud: web.client_id, email: EMAIL });
  return { idToken: tokens.id_token!, accessToken: tokens.access_token };
}

async function clientCredentialsToken(): Promise<string> {
  const token = await accessToken(server.issuer, service);
  recordSecrets(token);
  return token;
}

/** The three relying parties, each verifying an access token and an ID token. */
async function verifyEverywhere(
  tokens: { access: string; id: string },
  relyingParties: { jose: ReturnType<typeof createRemoteJWKSet>; sdk: Verifier },
): Promise<void> {
  const access = await jwtVerify(tokens.access, relyingParties.jose, { issuer: server.issuer, audience: server.issuer, typ: 'at+jwt', algorithms: ['ES256'] });
  expect(access.protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
  const id = await jwtVerify(tokens.id, relyingParties.jose, { issuer: server.issuer, audience: web.client_id, algorithms: ['ES256'] });
  expect(id.protectedHeader).toMatchObject({ alg: 'ES256' });
  await expect(relyingParties.sdk.verify(tokens.access)).resolves.toMatchObject({ client_id: service.client_id, iss: server.issuer });
  if (havePyJwt) {
    const uri = await jwksUri(server.issuer);
    const python = await verifyWithPyJwt({ token: tokens.access, jwksUri: uri, algorithms: ['ES256'], audience: server.issuer, issuer: server.issuer });
    expect(python).toMatchObject({ header: { alg: 'ES256', kid: kidOf(tokens.access), typ: 'at+jwt' }, claims: { client_id: service.client_id } });
    const pythonId = await verifyWithPyJwt({ token: tokens.id, jwksUri: uri, algorithms: ['ES256'], audience: web.client_id, issuer: server.issuer });
    expect(pythonId.claims).toMatchObject({ aud: web.client_id, email: EMAIL });
  }
}

describe('discovery and JWKS', () => {
  it('list ES256 among the ID token algs, and publish each ES256 key as an EC P-256 JWK with kid, alg and use', async () => {
    const document = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(document.id_token_signing_alg_values_supported).toEqual(['RS256', 'EdDSA', 'ES256']);
    for (const field of ['token_endpoint_auth_signing_alg_values_supported', 'dpop_signing_alg_values_supported']) {
      expect(document[field], field).toContain('ES256');
    }
    const { keys } = (await (await fetch(await jwksUri(server.issuer))).json()) as { keys: JWK[] };
    const ec = keys.filter((key) => key.alg === 'ES256');
    const listed = (await listKeys(server)).filter((key) => key.alg === 'ES256');
    expect(ec.map((key) => key.kid).sort()).toEqual(listed.map((key) => key.kid).sort());
    expect(ec).toHaveLength(2); // active and next
    for (const key of ec) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(Buffer.from(key.x!, 'base64url')).toHaveLength(32);
      expect(Buffer.from(key.y!, 'base64url')).toHaveLength(32);
    }
  });
});

describe('ES256 tokens through keys rotate --alg ES256', () => {
  it('verify with jose, PyJWT and the SDK before and after the rotation; the new key was published before it signed', { timeout: 60_000 }, async () => {
    const keysBefore = await listKeys(server);
    const activeBefore = keysBefore.find((key) => key.alg === 'ES256' && key.status === 'active')!.kid;
    const nextBefore = keysBefore.find((key) => key.alg === 'ES256' && key.status === 'next')!.kid;

    // Relying parties that fetch the JWKS once, now, and never again: a cache longer than the
    // test and a cooldown that forbids refetching on an unknown kid.
    const jose = createRemoteJWKSet(new URL(await jwksUri(server.issuer)), { cacheMaxAge: 600_000, cooldownDuration: 600_000 });
    const sdk = createVerifier({ issuer: server.issuer, audience: server.issuer, jwksCooldownSeconds: 600, logger: { warn: () => {} } });
    try {
      const access = await clientCredentialsToken();
      const { idToken, accessToken: codeAccessToken } = await idTokenFlow();
      expect([kidOf(access), kidOf(idToken), kidOf(codeAccessToken)]).toEqual([activeBefore, activeBefore, activeBefore]);
      // OpenID Connect Core §3.1.3.6: at_hash with ES256's hash, SHA-256.
      const { payload: idClaims } = await jwtVerify(idToken, jose, { algorithms: ['ES256'] });
      expect(idClaims.at_hash).toBe(crypto.createHash('sha256').update(codeAccessToken).digest().subarray(0, 16).toString('base64url'));
      // The caches now hold the JWKS of before the rotation, next key included.
      await verifyEverywhere({ access, id: idToken }, { jose, sdk });
      expect(await publishedKids(server.issuer)).toContain(nextBefore);

      const rotated = await server.cli(['keys', 'rotate', '--alg', 'ES256']);
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(rotated.json()).toEqual({ active: [{ kid: nextBefore, alg: 'ES256' }] });
      const keysAfter = await listKeys(server);
      for (const key of keysBefore.filter((candidate) => candidate.alg !== 'ES256')) expect(keysAfter).toContainEqual(key);
      expect(keysAfter.find((key) => key.kid === activeBefore)!.status).toBe('retiring');

      const accessAfter = await waitFor('a token signed by the new ES256 key', async () => {
        const candidate = await clientCredentialsToken();
        return kidOf(candidate) === nextBefore && candidate;
      }, 10_000);
      const { idToken: idAfter } = await idTokenFlow();
      expect(decodeProtectedHeader(idAfter)).toMatchObject({ alg: 'ES256', kid: nextBefore });

      // Before and after, with the caches of before: the new key was there before it signed.
      await verifyEverywhere({ access, id: idToken }, { jose, sdk });
      await verifyEverywhere({ access: accessAfter, id: idAfter }, { jose, sdk });
      // The retired key stays published for its tokens; the fresh next key is published too.
      const published = await publishedKids(server.issuer);
      expect(published).toEqual(expect.arrayContaining([activeBefore, nextBefore, keysAfter.find((key) => key.alg === 'ES256' && key.status === 'next')!.kid]));
    } finally {
      await sdk.close();
    }
  });
});

describe('keys revoke of an ES256 key', () => {
  it('takes a retiring ES256 key out of the JWKS at once: its tokens stop verifying, the active key keeps signing', { timeout: 30_000 }, async () => {
    const token = await clientCredentialsToken();
    const signing = kidOf(token);
    // Make the key that signed `token` a retiring one, then revoke it.
    const rotated = await server.cli(['keys', 'rotate', '--alg', 'ES256']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const revoked = await server.cli(['keys', 'revoke', signing]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.json()).toEqual({ revoked: signing });
    expect((await listKeys(server)).find((key) => key.kid === signing)!.status).toBe('revoked');
    await waitFor('the revoked key to leave the JWKS', async () => !(await publishedKids(server.issuer)).includes(signing), 10_000);
    const fresh = createRemoteJWKSet(new URL(await jwksUri(server.issuer)));
    await expect(jwtVerify(token, fresh, { algorithms: ['ES256'] })).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    const after = await clientCredentialsToken();
    expect(kidOf(after)).not.toBe(signing);
    await expect(jwtVerify(after, fresh, { issuer: server.issuer, typ: 'at+jwt', algorithms: ['ES256'] })).resolves.toBeTruthy();
  });
});

describe('an ES256 ID token as id_token_hint', () => {
  it('ends the session and redirects to the registered post_logout_redirect_uri (Inkan verifies its own ES256 tokens)', async () => {
    const browser = new HttpBrowser(server.issuer);
    const { idToken } = await idTokenFlow(browser);
    expect(decodeProtectedHeader(idToken).alg).toBe('ES256');
    const logout = new URL('/end-session', server.issuer);
    logout.search = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: AFTER_LOGOUT, state: 'es' }).toString();
    const hop = await browser.request(logout.href);
    expect(hop.status).toBe(302);
    expect(hop.location).toBe(`${AFTER_LOGOUT}?state=es`);
    expect(browser.cookies.has('inkan_session')).toBe(false);
  });
});

describe('back-channel logout to an ES256 client', () => {
  it('delivers a logout_token signed ES256 that jose and PyJWT verify with the JWKS', { timeout: 30_000 }, async () => {
    const receiver = await LogoutReceiver.start();
    try {
      const rp = await registerClient(server, [
        '--name', 'es256-bcl', '--grant-types', 'authorization_code', '--redirect-uris', LOGOUT_RP_REDIRECT, '--scope', 'openid',
        '--auth-method', 'none', '--skip-consent', '--alg', 'ES256', '--backchannel-logout-uri', receiver.url,
      ]);
      const person = { email: 'babbage@example.com', password: 'difference-engine-1822' };
      await createUser(server, person.email, person.password);
      const signedIn = await signInTo(server.issuer, rp, person);
      expect(decodeProtectedHeader(signedIn.idToken).alg).toBe('ES256');
      const revoked = await server.cli(['tokens', 'revoke', '--email', person.email]);
      expect(revoked.code, revoked.stderr).toBe(0);
      const { token } = await waitFor('the logout_token', async () => receiver.received[0], 10_000, 50);
      await verifyLogoutToken(server.issuer, token, { clientId: rp.client_id, alg: 'ES256' }, { sub: signedIn.sub, sid: signedIn.sid });
      if (havePyJwt) {
        const python = await verifyWithPyJwt({ token, jwksUri: await jwksUri(server.issuer), algorithms: ['ES256'], audience: rp.client_id, issuer: server.issuer });
        expect(python).toMatchObject({ header: { alg: 'ES256', typ: 'logout+jwt' }, claims: { sid: signedIn.sid } });
      }
    } finally {
      await receiver.close();
    }
  });
});
