/**
 * The admin API's operations (src/admin/operations.ts) called directly, without HTTP, on a real
 * core (`openCore`: SQLite with its migrations, the key manager with its first keys, the revoker)
 * and a clock the test moves: what each operation answers (status and body), what it changed, and
 * for each bad input the AdminError with its status and code — 400 invalid_request for an unknown
 * field, a wrong type, a missing field or a value the domain refuses; 404 not_found for an unknown
 * id; 409 conflict for a duplicate email, a known kid, or a key rotation whose next key has not
 * been published long enough yet (with `retry_after`, the seconds until it has).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AdminError,
  createClientOperation,
  createUserOperation,
  deleteClientOperation,
  disableUserOperation,
  enableUserOperation,
  importKeyOperation,
  listClients,
  listKeys,
  revokeKeyOperation,
  revokeTokensOperation,
  rotateKeysOperation,
  type JsonBody,
} from '../../src/admin/operations.js';
import type { Actor } from '../../src/audit/audit-log.js';
import type { Core } from '../../src/deps.js';
import { freshPrivateKey } from '../../src/keys/material.js';
import type { RevocableClaims } from '../../src/revocation/revocations.js';
import type { SigningAlg } from '../../src/storage/keys.js';
import { hashSecret, randomSecret } from '../../src/tokens/secrets.js';
import { openTestCore, refusal, type Closable } from '../helpers/deps.js';
import { movableClock } from '../helpers/people.js';
import { createPerson, createSession } from '../helpers/refresh.js';
import { recordSecrets } from '../helpers/secrets.js';

const ACTOR: Actor = { type: 'admin-api', id: 'admin-client' };

const clock = movableClock();
let core: Closable<Core>;

beforeEach(async () => {
  core = await openTestCore({ clock });
  // What a server's first start does (createDeps): an active and a published next key per alg.
  await core.keyManager.runSchedule();
});
afterEach(async () => {
  await core.close();
});

async function expectAdminError(promise: Promise<unknown>, expected: { status: 400 | 404 | 409; code: string; description: string; retryAfterSeconds?: number }): Promise<void> {
  const error = await refusal(promise, AdminError);
  expect({ status: error.status, code: error.code, description: error.description, retryAfterSeconds: error.retryAfterSeconds }).toEqual({ retryAfterSeconds: undefined, ...expected });
}

const invalid = (description: string) => ({ status: 400 as const, code: 'invalid_request', description });

/** Whether a revocation record covers a token issued a second ago to `claims`' client or person. */
const revokedBefore = (claims: Partial<RevocableClaims>) =>
  core.revocations.isRevoked({ jti: randomSecret(16), sub: 'someone', client_id: 'some-client', iat: clock.nowSeconds() - 1, ...claims }, { fresh: true });

describe('clients', () => {
  it('creates a client as `clients create` does: 201 with its secret, stored only as a hash, and listed without it', async () => {
    const created = await createClientOperation(core, { name: 'svc', scope: 'read write', resources: ['https://api.example.com'], alg: 'EdDSA' }, ACTOR);
    expect(created).toEqual({ status: 201, body: { client_id: expect.any(String), client_secret: expect.any(String) } });
    const { client_id: clientId, client_secret: secret } = created.body as { client_id: string; client_secret: string };
    recordSecrets(secret);
    expect((await core.stores.clients.find(clientId))?.secretHash).toBe(hashSecret(secret));

    const listed = await listClients(core);
    expect(listed).toEqual({
      status: 200,
      body: [
        expect.objectContaining({
          client_id: clientId,
          name: 'svc',
          auth_method: 'client_secret_basic',
          grant_types: ['client_credentials'],
          scope: 'read write',
          resources: ['https://api.example.com'],
          alg: 'EdDSA',
        }),
      ],
    });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(JSON.stringify(listed.body)).not.toContain(hashSecret(secret));
  });

  it('creates a client whose tokens are signed with ES256, as `clients create --alg ES256` does', async () => {
    const created = await createClientOperation(core, { name: 'es', scope: 'read', alg: 'ES256' }, ACTOR);
    expect(created.status).toBe(201);
    const { client_id: clientId, client_secret: secret } = created.body as { client_id: string; client_secret: string };
    recordSecrets(secret);
    expect((await core.stores.clients.find(clientId))?.alg).toBe('ES256');
    expect((await listClients(core)).body).toEqual([expect.objectContaining({ client_id: clientId, alg: 'ES256' })]);
  });

  it('answers a client that authenticates with keys without a secret', async () => {
    const jwk = freshPrivateKey('ed25519').export({ format: 'jwk' });
    const created = await createClientOperation(core, { name: 'keys', auth_method: 'private_key_jwt', jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x }] } }, ACTOR);
    expect(created).toEqual({ status: 201, body: { client_id: expect.any(String) } });
  });

  it.each<[JsonBody, string]>([
    [{ name: 'svc', colour: 'red' }, 'unknown field "colour"; allowed: name, grant_types, redirect_uris, post_logout_redirect_uris, scope, resources, auth_method, jwks, jwks_uri, alg, skip_consent, require_dpop, require_dpop_nonce, allow_no_pkce, backchannel_logout_uri, backchannel_logout_session_required, logo_uri, federated_issuer, federated_subject, federated_jwks_uri, federated_audience, federated_claims'],
    [{}, 'name is required'],
    [{ name: '' }, 'name is required'],
    [{ name: 5 }, 'name must be a string'],
    [{ name: 'svc', grant_types: 'client_credentials' }, 'grant_types must be an array of strings'],
    [{ name: 'svc', redirect_uris: [1] }, 'redirect_uris must be an array of strings'],
    [{ name: 'svc', skip_consent: 'yes' }, 'skip_consent must be true or false'],
    [{ name: 'svc', grant_types: ['implicit'] }, 'unsupported grant type "implicit"; supported: client_credentials, authorization_code, refresh_token, urn:ietf:params:oauth:grant-type:token-exchange, urn:ietf:params:oauth:grant-type:device_code'],
    [{ name: 'svc', grant_types: ['authorization_code'] }, 'the authorization_code grant needs at least one --redirect-uris'],
    [{ name: 'svc', alg: 'ES384' }, '--alg must be one of RS256, EdDSA, ES256'],
  ])('refuses %j with 400 invalid_request, registering nothing', async (body, description) => {
    await expectAdminError(createClientOperation(core, body, ACTOR), invalid(description));
    expect((await listClients(core)).body).toEqual([]);
  });

  it("deletes a client and revokes its tokens; an unknown client_id is 404 not_found", async () => {
    const { client_id: clientId } = (await createClientOperation(core, { name: 'svc', auth_method: 'private_key_jwt', jwks_uri: 'https://svc.example.com/jwks' }, ACTOR)).body as { client_id: string };
    expect(await revokedBefore({ client_id: clientId })).toBe(false);
    expect(await deleteClientOperation(core, clientId, ACTOR)).toEqual({ status: 200, body: { deleted: clientId } });
    expect((await listClients(core)).body).toEqual([]);
    expect(await revokedBefore({ client_id: clientId })).toBe(true);
    await expectAdminError(deleteClientOperation(core, clientId, ACTOR), { status: 404, code: 'not_found', description: `no client with client_id ${clientId}` });
  });
});

describe('users', () => {
  const password = 'correct horse battery';

  it('creates a user with an argon2id hash of the password; the same email in another case is 409 conflict', async () => {
    recordSecrets(password);
    const created = await createUserOperation(core, { email: 'Ada@Example.com', name: 'Ada', password }, ACTOR);
    expect(created).toEqual({ status: 201, body: { id: expect.any(String), email: 'Ada@Example.com' } });
    const user = await core.stores.users.findByEmail('ada@example.com');
    expect(user).toMatchObject({ id: (created.body as { id: string }).id, name: 'Ada', disabledAt: null });
    expect(user!.passwordHash).toMatch(/^\$argon2id\$/);
    await expectAdminError(createUserOperation(core, { email: 'ada@example.com', password }, ACTOR), {
      status: 409,
      code: 'conflict',
      description: 'a user with the email ada@example.com already exists',
    });
  });

  it.each<[JsonBody, string]>([
    [{ email: 'ada@example.com', password, role: 'admin' }, 'unknown field "role"; allowed: email, name, password'],
    [{ email: 'ada@example.com' }, 'password is required'],
    [{ password }, 'email is required'],
    [{ email: 42, password }, 'email must be a string'],
    [{ email: 'ada@example.com', name: ['Ada'], password }, 'name must be a string'],
    [{ email: 'ada@example.com', password: 'short' }, 'the password must have at least 8 characters'],
    [{ email: 'not an email', password }, '--email must be an email address'],
  ])('refuses %j with 400 invalid_request, creating no one', async (body, description) => {
    await expectAdminError(createUserOperation(core, body, ACTOR), invalid(description));
    expect(await core.stores.users.findByEmail('ada@example.com')).toBeUndefined();
  });

  it('disables a user and logs them out everywhere; an unknown email is 404, a bad body 400', async () => {
    const person = await createPerson({ deps: core }, 'grace@example.com');
    expect(await revokedBefore({ sub: person.id })).toBe(false);
    expect(await disableUserOperation(core, { email: 'grace@example.com' }, ACTOR)).toEqual({ status: 200, body: { disabled: 'grace@example.com' } });
    expect((await core.stores.users.find(person.id))?.disabledAt).toBe(clock.nowSeconds());
    expect(await revokedBefore({ sub: person.id })).toBe(true);
    await expectAdminError(disableUserOperation(core, { email: 'nobody@example.com' }, ACTOR), { status: 404, code: 'not_found', description: 'no user with the email nobody@example.com' });
    await expectAdminError(disableUserOperation(core, {}, ACTOR), invalid('email is required'));
    await expectAdminError(disableUserOperation(core, { email: true }, ACTOR), invalid('email must be a string'));
    await expectAdminError(disableUserOperation(core, { email: 'grace@example.com', reason: 'left' }, ACTOR), invalid('unknown field "reason"; allowed: email'));
  });

  it('re-enables a disabled user, writing account-enabled once; an unknown email is 404, a bad body 400', async () => {
    const person = await createPerson({ deps: core }, 'hopper@example.com');
    await disableUserOperation(core, { email: 'hopper@example.com' }, ACTOR);
    const before = await core.stores.securityEvents.latestId();
    expect(await enableUserOperation(core, { email: 'hopper@example.com' }, ACTOR)).toEqual({ status: 200, body: { enabled: 'hopper@example.com' } });
    expect((await core.stores.users.find(person.id))?.disabledAt).toBeNull();
    // Enabling an enabled user changes nothing and writes nothing.
    expect(await enableUserOperation(core, { email: 'hopper@example.com' }, ACTOR)).toEqual({ status: 200, body: { enabled: 'hopper@example.com' } });
    expect((await core.stores.securityEvents.listSince(before, 10)).map((event) => [event.type, event.userId])).toEqual([['account-enabled', person.id]]);
    await expectAdminError(enableUserOperation(core, { email: 'nobody@example.com' }, ACTOR), { status: 404, code: 'not_found', description: 'no user with the email nobody@example.com' });
    await expectAdminError(enableUserOperation(core, {}, ACTOR), invalid('email is required'));
    await expectAdminError(enableUserOperation(core, { email: 'hopper@example.com', reason: 'back' }, ACTOR), invalid('unknown field "reason"; allowed: email'));
  });
});

describe('tokens', () => {
  it("logs a person out everywhere, answering how many sessions and families ended; an unknown email is 404, a bad body 400", async () => {
    const person = await createPerson({ deps: core }, 'lin@example.com');
    const sessions = [await createSession({ deps: core }, person), await createSession({ deps: core }, person)];
    expect(await revokedBefore({ sub: person.id })).toBe(false);
    expect(await revokeTokensOperation(core, { email: 'lin@example.com' }, ACTOR)).toEqual({ status: 200, body: { revoked: 2 } });
    for (const sid of sessions) expect((await core.stores.sessions.find(sid))?.endedAt).toBe(clock.nowSeconds());
    expect(await revokedBefore({ sub: person.id })).toBe(true);
    await expectAdminError(revokeTokensOperation(core, { email: 'nobody@example.com' }, ACTOR), { status: 404, code: 'not_found', description: 'no user with the email nobody@example.com' });
    await expectAdminError(revokeTokensOperation(core, {}, ACTOR), invalid('email is required'));
    await expectAdminError(revokeTokensOperation(core, { email: 'lin@example.com', all: true }, ACTOR), invalid('unknown field "all"; allowed: email'));
  });
});

describe('keys', () => {
  const keysNow = async () => (await core.keyManager.list()).keys;
  const keyOf = async (alg: SigningAlg, status: string) => {
    const key = (await keysNow()).find((candidate) => candidate.alg === alg && candidate.status === status);
    if (key === undefined) throw new Error(`no ${status} ${alg} key`);
    return key;
  };
  const notYet = (kid: string, seconds: number) =>
    `the next RS256 key ${kid} has been published for ${core.keyManager.prePublishSeconds - seconds} s of the ${core.keyManager.prePublishSeconds} s ` +
    `(the pre-publication time) it needs before it signs: ready in ${seconds} s; retry then, or send {"unpublished": true} to make a never-published key sign at once`;
  const unpublishedWarning = (kid: string) =>
    `RS256 key ${kid} signs from now on without ever having been published: verifiers with a cached JWKS will miss this kid ` +
    `until they refetch the JWKS (up to JWKS_MAX_AGE, ${core.config.jwksMaxAgeSeconds} s; later for those that do not refetch on an unknown kid)`;

  it('lists every key with its lifecycle and never its private half', async () => {
    const listed = await listKeys(core);
    expect(listed.status).toBe(200);
    const body = listed.body as Record<string, unknown>[];
    expect(body.map((key) => `${key.alg} ${key.status}`).sort()).toEqual(['ES256 active', 'ES256 next', 'EdDSA active', 'EdDSA next', 'RS256 active', 'RS256 next']);
    const active = await keyOf('RS256', 'active');
    expect(body).toContainEqual({
      kid: active.kid,
      alg: 'RS256',
      status: 'active',
      created_at: new Date(active.createdAt * 1000).toISOString(),
      activated_at: new Date(active.activatedAt! * 1000).toISOString(),
      retired_at: null,
      remove_after: null,
      revoked_at: null,
    });
    expect(JSON.stringify(body)).not.toContain(active.sealedPrivateKey);
  });

  it('rotates once the next key was published long enough; before, 409 conflict with retry_after the seconds left', async () => {
    const { kid: previous } = await keyOf('RS256', 'active');
    const { kid: next } = await keyOf('RS256', 'next');
    const wait = core.keyManager.prePublishSeconds;
    await expectAdminError(rotateKeysOperation(core, { alg: 'RS256' }, ACTOR), { status: 409, code: 'conflict', description: notYet(next, wait), retryAfterSeconds: wait });
    clock.advance(wait - 1);
    await expectAdminError(rotateKeysOperation(core, { alg: 'RS256' }, ACTOR), { status: 409, code: 'conflict', description: notYet(next, 1), retryAfterSeconds: 1 });
    clock.advance(1);
    expect(await rotateKeysOperation(core, { alg: 'RS256' }, ACTOR)).toEqual({ status: 200, body: { active: [{ kid: next, alg: 'RS256' }] } });
    expect((await keysNow()).find((key) => key.kid === previous)?.status).toBe('retiring');
  });

  it('rotates ES256 alone ({"alg": "ES256"}), leaving the RS256 and EdDSA keys as they were', async () => {
    const others = (await keysNow()).filter((key) => key.alg !== 'ES256');
    const { kid: previous } = await keyOf('ES256', 'active');
    const { kid: next } = await keyOf('ES256', 'next');
    clock.advance(core.keyManager.prePublishSeconds);
    expect(await rotateKeysOperation(core, { alg: 'ES256' }, ACTOR)).toEqual({ status: 200, body: { active: [{ kid: next, alg: 'ES256' }] } });
    const after = await keysNow();
    expect(after.find((key) => key.kid === previous)?.status).toBe('retiring');
    expect(after.filter((key) => key.alg !== 'ES256')).toEqual(others);
  });

  it('makes a never-published key sign at once with {"unpublished": true}, and says what that costs', async () => {
    const { kid: next } = await keyOf('RS256', 'next');
    const rotated = await rotateKeysOperation(core, { alg: 'RS256', unpublished: true }, ACTOR);
    const { kid } = await keyOf('RS256', 'active');
    expect(kid).not.toBe(next);
    expect(rotated).toEqual({ status: 200, body: { active: [{ kid, alg: 'RS256' }], warning: unpublishedWarning(kid) } });
  });

  it.each<[JsonBody, string]>([
    [{ alg: 'HS256' }, 'alg must be one of RS256, EdDSA, ES256'],
    [{ alg: 'ES384' }, 'alg must be one of RS256, EdDSA, ES256'],
    [{ alg: 256 }, 'alg must be a string'],
    [{ unpublished: 'yes' }, 'unpublished must be true or false'],
    [{ force: true }, 'unknown field "force"; allowed: alg, unpublished'],
  ])('refuses the rotation %j with 400 invalid_request, changing nothing', async (body, description) => {
    const before = await keysNow();
    await expectAdminError(rotateKeysOperation(core, body, ACTOR), invalid(description));
    expect(await keysNow()).toEqual(before);
  });

  it('revokes a next key at once, an active one like a rotation (409 until its successor may sign), an unknown kid 404', async () => {
    const { kid: next } = await keyOf('RS256', 'next');
    expect(await revokeKeyOperation(core, next, {}, ACTOR)).toEqual({ status: 200, body: { revoked: next } });
    const fresh = await keyOf('RS256', 'next');
    expect(fresh.kid).not.toBe(next);

    const { kid: active } = await keyOf('RS256', 'active');
    const wait = core.keyManager.prePublishSeconds;
    await expectAdminError(revokeKeyOperation(core, active, {}, ACTOR), { status: 409, code: 'conflict', description: notYet(fresh.kid, wait), retryAfterSeconds: wait });
    const revoked = await revokeKeyOperation(core, active, { unpublished: true }, ACTOR);
    const { kid: replacement } = await keyOf('RS256', 'active');
    expect(revoked).toEqual({ status: 200, body: { revoked: active, active: [{ kid: replacement, alg: 'RS256' }], warning: unpublishedWarning(replacement) } });
    expect((await keysNow()).find((key) => key.kid === active)?.status).toBe('revoked');

    await expectAdminError(revokeKeyOperation(core, 'no-such-kid', {}, ACTOR), { status: 404, code: 'not_found', description: 'no signing key with kid no-such-kid' });
    await expectAdminError(revokeKeyOperation(core, replacement, { now: true }, ACTOR), invalid('unknown field "now"; allowed: unpublished'));
  });

  it('imports a PEM or a private JWK as the next key; a kid already known is 409 conflict', async () => {
    const pem = freshPrivateKey('ed25519').export({ format: 'pem', type: 'pkcs8' }).toString();
    recordSecrets(pem);
    const imported = await importKeyOperation(core, { key: pem }, ACTOR);
    expect(imported).toEqual({ status: 201, body: { imported: { kid: expect.any(String), alg: 'EdDSA', status: 'next' } } });
    const { kid } = (imported.body as { imported: { kid: string } }).imported;
    expect((await keyOf('EdDSA', 'next')).kid).toBe(kid);
    await expectAdminError(importKeyOperation(core, { key: pem }, ACTOR), { status: 409, code: 'conflict', description: `a key with kid ${kid} is already known (status next)` });

    const jwk = freshPrivateKey('rsa', { modulusLength: 2048 }).export({ format: 'jwk' });
    recordSecrets(jwk.d);
    expect(await importKeyOperation(core, { key: jwk as JsonBody }, ACTOR)).toEqual({ status: 201, body: { imported: { kid: expect.any(String), alg: 'RS256', status: 'next' } } });
  });

  it.each<[JsonBody, string]>([
    [{}, 'key is required: PEM text or a private JWK'],
    [{ key: 42 }, 'key is required: PEM text or a private JWK'],
    [{ key: ['a', 'b'] }, 'key is required: PEM text or a private JWK'],
    [{ key: 'not a key' }, 'the file is neither PEM nor valid JSON (a JWK)'],
    [{ key: { kty: 'oct', k: 'c2VjcmV0' } }, 'a symmetric (oct) key cannot sign tokens that verifiers check with the JWKS'],
    [{ key: 'x', format: 'pem' }, 'unknown field "format"; allowed: key'],
  ])('refuses the import %j with 400 invalid_request, changing nothing', async (body, description) => {
    const before = await keysNow();
    await expectAdminError(importKeyOperation(core, body, ACTOR), invalid(description));
    expect(await keysNow()).toEqual(before);
  });
});
