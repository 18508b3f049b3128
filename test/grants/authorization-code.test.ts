/**
 * The authorization_code grant (src/grants/authorization-code.ts) called directly, as the token
 * endpoint calls it once the client is authenticated: real SQLite stores, real keys, a clock the
 * test moves, codes written to the store as the authorizer writes them, no HTTP. Each rule of its
 * header comment, every refusal with its exact OAuthError: code and redirect_uri required; a code
 * unknown, another client's, expired (60 s), for another redirect_uri or with the wrong or no PKCE
 * verifier; a disabled person, an ended session; the access token's `sid`, `auth_time` and
 * `grant_id`; the ID token's claims; a refresh token only for a client registered for the
 * refresh_token grant that was granted offline_access, its family's id the grant id; single use: a
 * replay ends the grant (its family, and its access tokens through a `grant` revocation record),
 * also when it lands during the exchange; DPoP binding of the access token, and of the family of a
 * public client only.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewClient } from '../../src/clients/registry.js';
import type { Deps } from '../../src/deps.js';
import { authorizationCodeGrant } from '../../src/grants/authorization-code.js';
import { s256 } from '../../src/oauth/pkce.js';
import { targetKey, type RevocableClaims } from '../../src/revocation/revocations.js';
import type { ClientRecord } from '../../src/storage/clients.js';
import { hashSecret, randomSecret } from '../../src/tokens/secrets.js';
import { keyPair, thumbprint } from '../helpers/asymmetric.js';
import { createTestDeps, TEST_ISSUER, type Closable } from '../helpers/deps.js';
import { exchange, expectOAuthError, fullPersonAnswer, personGrantDeps, registeredClient, tokenRequest, verifiedToken } from '../helpers/grants.js';
import { movableClock } from '../helpers/people.js';
import { createPerson, createSession, type Person } from '../helpers/refresh.js';
import { recordSecrets } from '../helpers/secrets.js';

const REDIRECT = 'https://app.example.com/cb';
const SCOPE = 'openid profile email offline_access api';
/** The grant's header: codes are short-lived (60 s); the authorizer stamps their expiry. */
const CODE_TTL_SECONDS = 60;

const clock = movableClock();
let deps: Closable<Deps>;
/** Confidential, registered for authorization_code and refresh_token. */
let app: ClientRecord;
let other: ClientRecord;
let noRefresh: ClientRecord;
let publicApp: ClientRecord;
/** A confidential client registered with --allow-no-pkce. */
let legacy: ClientRecord;

beforeAll(async () => {
  deps = await createTestDeps({ clock });
  const register = (name: string, extra: Partial<NewClient>) =>
    registeredClient(deps, { name, grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT], scope: SCOPE, ...extra });
  app = await register('app', {});
  other = await register('other', {});
  noRefresh = await register('no-refresh', { grantTypes: ['authorization_code'] });
  publicApp = await register('spa', { authMethod: 'none' });
  legacy = await register('legacy', { grantTypes: ['authorization_code'], allowNoPkce: true });
});
afterAll(async () => {
  await deps.close();
});

interface IssuedCode {
  readonly code: string;
  /** The PKCE verifier of the code's challenge (undefined for a code issued without one). */
  readonly verifier: string | undefined;
  readonly client: ClientRecord;
  readonly person: Person;
  readonly sid: string;
  readonly authTime: number;
}

/** A code as the authorizer writes it at the end of a sign-in (login/authorizer.ts `complete`). */
async function issueCode(
  options: {
    client?: ClientRecord;
    scope?: string;
    nonce?: string | null;
    pkce?: boolean;
    person?: Person;
    sid?: string;
    authMethods?: string[];
    acr?: string;
  } = {},
): Promise<IssuedCode> {
  const client = options.client ?? app;
  const person = options.person ?? (await createPerson({ deps }));
  const sid = options.sid ?? (await createSession({ deps }, person));
  const code = randomSecret();
  const verifier = options.pkce === false ? undefined : randomSecret();
  const now = clock.nowSeconds();
  const authTime = now - 30;
  await deps.stores.authorizationCodes.insert({
    codeHash: hashSecret(code),
    clientId: client.clientId,
    userId: person.id,
    sessionId: sid,
    redirectUri: REDIRECT,
    scopes: (options.scope ?? SCOPE).split(' '),
    nonce: options.nonce === undefined ? 'n-0S6_WzA2Mj' : options.nonce,
    codeChallenge: verifier === undefined ? null : s256(verifier),
    authTime,
    ...(options.authMethods === undefined ? {} : { authMethods: options.authMethods }),
    ...(options.acr === undefined ? {} : { acr: options.acr }),
    createdAt: now,
    expiresAt: now + CODE_TTL_SECONDS,
    consumedAt: null,
    grantId: null,
    replayedAt: null,
  });
  recordSecrets(code);
  return { code, verifier, client, person, sid, authTime };
}

/** The token request that redeems `issued` as its client would send it; `params` overrides (undefined leaves one out). */
function redeeming(issued: IssuedCode, params: Record<string, string | undefined> = {}, options: { client?: ClientRecord; dpopJkt?: string } = {}) {
  return tokenRequest(
    'authorization_code',
    options.client ?? issued.client,
    { code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier, ...params },
    options.dpopJkt === undefined ? {} : { dpop: { jkt: options.dpopJkt } },
  );
}

const redeem = (...args: Parameters<typeof redeeming>) => exchange(deps, redeeming(...args));

const familyOf = async (refreshToken: string) => (await deps.stores.refreshTokens.find(hashSecret(refreshToken)))?.family;

/** Whether a revocation record this process knows of covers the token (its claims as verified). */
const isRevoked = (claims: Record<string, unknown>) => deps.revocations.isRevoked(claims as unknown as RevocableClaims, { fresh: true });

describe('refuses', () => {
  it('a request without code or redirect_uri (invalid_request)', async () => {
    const issued = await issueCode();
    await expectOAuthError(redeem(issued, { code: undefined }), 'invalid_request', 'code is required');
    await expectOAuthError(redeem(issued, { redirect_uri: undefined }), 'invalid_request', 'redirect_uri is required');
  });

  it('an unknown code, and one longer than any Inkan issues', async () => {
    const issued = await issueCode();
    await expectOAuthError(redeem(issued, { code: randomSecret() }), 'invalid_grant', 'the authorization code is invalid');
    await expectOAuthError(redeem(issued, { code: 'c'.repeat(201) }), 'invalid_grant', 'the authorization code is invalid');
  });

  it("another client's code", async () => {
    const issued = await issueCode();
    await expectOAuthError(redeem(issued, {}, { client: other }), 'invalid_grant', 'the authorization code was issued to another client');
  });

  it('a code at its expiry, 60 s after it was issued (and takes one a second before)', async () => {
    const first = await issueCode();
    const second = await issueCode();
    clock.advance(CODE_TTL_SECONDS - 1);
    expect((await redeem(first)).access_token).toEqual(expect.any(String));
    clock.advance(1);
    await expectOAuthError(redeem(second), 'invalid_grant', 'the authorization code has expired');
  });

  it('another redirect_uri than the authorization request had', async () => {
    const issued = await issueCode();
    await expectOAuthError(redeem(issued, { redirect_uri: `${REDIRECT}/` }), 'invalid_grant', 'redirect_uri does not match the authorization request');
  });

  it('a wrong PKCE verifier, a missing one, and one for a code issued without a challenge', async () => {
    const issued = await issueCode();
    await expectOAuthError(redeem(issued, { code_verifier: randomSecret() }), 'invalid_grant', 'code_verifier does not match the code_challenge');
    await expectOAuthError(redeem(issued, { code_verifier: undefined }), 'invalid_grant', 'code_verifier is required');
    const withoutChallenge = await issueCode({ client: legacy, pkce: false });
    await expectOAuthError(redeem(withoutChallenge, { code_verifier: randomSecret() }), 'invalid_grant', 'code_verifier sent for a code issued without code_challenge');
    expect((await redeem(withoutChallenge)).access_token).toEqual(expect.any(String));
  });

  it('the code of a person disabled since', async () => {
    const issued = await issueCode();
    await deps.stores.users.disable(issued.person.id, clock.nowSeconds());
    await expectOAuthError(redeem(issued), 'invalid_grant', 'the user is no longer active');
  });

  it('the code of a login session ended since', async () => {
    const issued = await issueCode();
    await deps.stores.sessions.end(issued.sid, clock.nowSeconds());
    await expectOAuthError(redeem(issued), 'invalid_grant', 'the login session has ended');
  });
});

describe('an exchange', () => {
  it("issues an access token with the login's sid and auth_time and a fresh grant_id, the family's id", async () => {
    const issued = await issueCode();
    const response = await redeem(issued);
    expect(response).toEqual(fullPersonAnswer(deps, SCOPE));
    const { header, payload } = await verifiedToken(deps, response.access_token, 'at+jwt');
    expect(header.alg).toBe(app.alg);
    expect(payload).toMatchObject({
      iss: TEST_ISSUER,
      sub: issued.person.id,
      aud: TEST_ISSUER,
      client_id: app.clientId,
      scope: SCOPE,
      sid: issued.sid,
      auth_time: issued.authTime,
      grant_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(payload.cnf).toBeUndefined();
    const family = await familyOf(response.refresh_token!);
    expect(family).toMatchObject({ id: payload.grant_id, clientId: app.clientId, userId: issued.person.id, sessionId: issued.sid, scopes: SCOPE.split(' '), authTime: issued.authTime, revokedAt: null });
    const again = await verifiedToken(deps, (await redeem(await issueCode({ person: issued.person, sid: issued.sid }))).access_token, 'at+jwt');
    expect(again.payload.grant_id).not.toBe(payload.grant_id);
  });

  it("issues an ID token with the login's claims, the nonce, at_hash and the claims of the granted scopes", async () => {
    const issued = await issueCode();
    const response = await redeem(issued);
    const { header, payload } = await verifiedToken(deps, response.id_token!, 'JWT');
    expect(header.alg).toBe(app.alg);
    const now = clock.nowSeconds();
    const atHash = crypto.createHash('sha256').update(response.access_token).digest().subarray(0, 16).toString('base64url');
    expect(payload).toEqual({
      iss: TEST_ISSUER,
      sub: issued.person.id,
      aud: app.clientId,
      iat: now,
      exp: now + deps.config.idTokenTtlSeconds,
      auth_time: issued.authTime,
      nonce: 'n-0S6_WzA2Mj',
      sid: issued.sid,
      at_hash: atHash,
      // A code from before migration 0017 (no methods recorded) was a password sign-in.
      amr: ['pwd'],
      acr: 'urn:inkan:acr:pwd',
      name: 'Ada Example',
      email: issued.person.email,
      email_verified: false,
    });
  });

  it("carries the login's methods as amr (with mfa for two kinds of factor) and its acr, in the ID and access tokens and after a refresh", async () => {
    const issued = await issueCode({ authMethods: ['pwd', 'otp'], acr: 'urn:inkan:acr:mfa' });
    const response = await redeem(issued);
    const id = (await verifiedToken(deps, response.id_token!, 'JWT')).payload;
    expect(id).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:inkan:acr:mfa' });
    const access = (await verifiedToken(deps, response.access_token, 'at+jwt')).payload;
    expect(access).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:inkan:acr:mfa', auth_time: issued.authTime });
    // The refresh family keeps them (OIDC Core §12.2), whatever the session does later.
    expect(await familyOf(response.refresh_token!)).toMatchObject({ authMethods: ['pwd', 'otp'], acr: 'urn:inkan:acr:mfa' });
  });

  it('gives a passkey login no pwd and the phishing-resistant acr', async () => {
    const response = await redeem(await issueCode({ authMethods: ['hwk', 'user'], acr: 'phr' }));
    expect((await verifiedToken(deps, response.id_token!, 'JWT')).payload).toMatchObject({ amr: ['hwk', 'user'], acr: 'phr' });
  });

  it('issues no ID token without openid, and leaves out the nonce of a request that had none', async () => {
    expect((await redeem(await issueCode({ scope: 'api offline_access' }))).id_token).toBeUndefined();
    const withoutNonce = await redeem(await issueCode({ scope: 'openid', nonce: null }));
    const { payload } = await verifiedToken(deps, withoutNonce.id_token!, 'JWT');
    expect(payload.nonce).toBeUndefined();
    expect(payload.name).toBeUndefined();
    expect(payload.email).toBeUndefined();
  });

  it('issues a refresh token only to a client registered for refresh_token that was granted offline_access', async () => {
    expect((await redeem(await issueCode({ scope: 'openid offline_access' }))).refresh_token).toEqual(expect.any(String));
    expect((await redeem(await issueCode({ scope: 'openid api' }))).refresh_token).toBeUndefined();
    expect((await redeem(await issueCode({ client: noRefresh, scope: 'openid offline_access' }))).refresh_token).toBeUndefined();
  });
});

describe('a replay', () => {
  it("is refused and ends the grant: its family, and its access token through a grant record; another grant of the same login lives on", async () => {
    const issued = await issueCode();
    const first = await redeem(issued);
    const token = (await verifiedToken(deps, first.access_token, 'at+jwt')).payload;
    const sibling = await redeem(await issueCode({ person: issued.person, sid: issued.sid }));
    const siblingToken = (await verifiedToken(deps, sibling.access_token, 'at+jwt')).payload;
    expect(await isRevoked(token)).toBe(false);

    await expectOAuthError(redeem(issued), 'invalid_grant', 'the authorization code was already used; the tokens issued for it are revoked');

    expect(deps.revocations.recordsFor(targetKey({ kind: 'grant', grantId: token.grant_id as string }))).toHaveLength(1);
    expect(await isRevoked(token)).toBe(true);
    expect((await familyOf(first.refresh_token!))?.revokedAt).toBe(clock.nowSeconds());
    expect(await isRevoked(siblingToken)).toBe(false);
    expect((await familyOf(sibling.refresh_token!))?.revokedAt).toBeNull();
    await expectOAuthError(redeem(issued), 'invalid_grant', 'the authorization code was already used; the tokens issued for it are revoked');
  });

  it('that lands between the consuming update and the family insert makes the exchange end the grant itself', async () => {
    const issued = await issueCode();
    let replay: Promise<unknown> | undefined;
    let started: { familyId: string | undefined; refreshToken: string } | undefined;
    // The grant as deps.ts builds it, but for a refresh domain that lets the replay in just before the family's insert.
    const grant = authorizationCodeGrant({
      ...personGrantDeps(deps, clock),
      refreshTokens: {
        async startFamily(family) {
          replay = grant.handle(redeeming(issued));
          await replay.catch(() => undefined);
          started = { familyId: family.familyId, refreshToken: await deps.refreshTokens.startFamily(family) };
          recordSecrets(started.refreshToken);
          return started.refreshToken;
        },
      },
    });

    await expectOAuthError(grant.handle(redeeming(issued)), 'invalid_grant', 'the authorization code was presented again during its exchange; the tokens issued for it are revoked');
    await expectOAuthError(replay!, 'invalid_grant', 'the authorization code was already used; the tokens issued for it are revoked');
    const grantId = started!.familyId!;
    expect(await deps.stores.authorizationCodes.find(hashSecret(issued.code))).toMatchObject({ grantId, consumedAt: clock.nowSeconds(), replayedAt: clock.nowSeconds() });
    expect((await familyOf(started!.refreshToken))?.revokedAt).toBe(clock.nowSeconds());
    const ofTheGrant = { jti: randomSecret(16), sub: issued.person.id, client_id: app.clientId, sid: issued.sid, grant_id: grantId, iat: clock.nowSeconds() };
    expect(await isRevoked(ofTheGrant)).toBe(true);
  });
});

describe('DPoP', () => {
  it("binds the access token to the proof key, and the family of a public client only", async () => {
    const jkt = await thumbprint(await keyPair('ES256'));
    const confidential = await redeem(await issueCode(), {}, { dpopJkt: jkt });
    expect(confidential.token_type).toBe('DPoP');
    expect((await verifiedToken(deps, confidential.access_token, 'at+jwt')).payload.cnf).toEqual({ jkt });
    const unbound = await familyOf(confidential.refresh_token!);
    expect(unbound?.clientId).toBe(app.clientId);
    // The store leaves an unbound family's dpopJkt out (storage/refresh.ts: `dpopJkt?: string | null`).
    expect(unbound!.dpopJkt ?? null).toBeNull();

    const ofPublic = await redeem(await issueCode({ client: publicApp }), {}, { dpopJkt: jkt });
    expect(ofPublic.token_type).toBe('DPoP');
    expect((await familyOf(ofPublic.refresh_token!))?.dpopJkt).toBe(jkt);
  });
});
