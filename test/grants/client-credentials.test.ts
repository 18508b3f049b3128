/**
 * The client_credentials grant (src/grants/client-credentials.ts) called directly, as the token
 * endpoint calls it once the client is authenticated: real SQLite stores, real keys, a clock that
 * stands still, no HTTP. Each rule of its header comment: the client is the subject; a request
 * without `scope` gets every scope the client was registered with, a narrower one what it asked
 * for, a wider one invalid_scope; `resource` (RFC 8707) picks the audience, the issuer without one,
 * invalid_target for one the client was not registered with; a DPoP proof binds the token to its
 * key (`cnf.jkt`, token_type DPoP).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/deps.js';
import type { TokenRequest } from '../../src/grants/grant.js';
import type { ClientRecord } from '../../src/storage/clients.js';
import { keyPair, thumbprint } from '../helpers/asymmetric.js';
import { createTestDeps, TEST_ISSUER, type Closable } from '../helpers/deps.js';
import { exchange, expectOAuthError, registeredClient, tokenRequest, verifiedToken } from '../helpers/grants.js';
import { movableClock } from '../helpers/people.js';

const API = 'https://api.example.com';
const REPORTS = 'https://reports.example.com';

const clock = movableClock();
let deps: Closable<Deps>;
let client: ClientRecord;

beforeAll(async () => {
  deps = await createTestDeps({ clock });
  client = await registeredClient(deps, { name: 'svc', scope: 'read write', resources: [API, REPORTS], alg: 'EdDSA' });
});
afterAll(async () => {
  await deps.close();
});

const issue = (params: Record<string, string> = {}, extra: Partial<Pick<TokenRequest, 'resources' | 'dpop'>> = {}) =>
  exchange(deps, tokenRequest('client_credentials', client, params, extra));

async function claimsOf(params: Record<string, string> = {}, extra: Partial<Pick<TokenRequest, 'resources' | 'dpop'>> = {}) {
  return (await verifiedToken(deps, (await issue(params, extra)).access_token, 'at+jwt')).payload;
}

describe('the token', () => {
  it('is an at+jwt about the client itself, signed with its alg, with every registered scope when none is asked for', async () => {
    const response = await issue();
    expect(response).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: deps.config.accessTokenTtlSeconds, scope: 'read write' });
    const { header, payload } = await verifiedToken(deps, response.access_token, 'at+jwt');
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    const now = clock.nowSeconds();
    expect(payload).toMatchObject({
      iss: TEST_ISSUER,
      sub: client.clientId,
      client_id: client.clientId,
      aud: TEST_ISSUER,
      scope: 'read write',
      iat: now,
      exp: now + deps.config.accessTokenTtlSeconds,
      jti: expect.any(String),
    });
    expect(payload.cnf).toBeUndefined();
  });
});

describe('scope', () => {
  it('grants a narrower scope as asked', async () => {
    expect((await issue({ scope: 'read' })).scope).toBe('read');
    expect((await claimsOf({ scope: 'write' })).scope).toBe('write');
  });

  it('refuses a scope the client was not registered with, naming it (invalid_scope)', async () => {
    await expectOAuthError(issue({ scope: 'read admin' }), 'invalid_scope', 'the client may not request the scope "admin"');
  });

  it('refuses a scope with a character RFC 6749 does not allow (invalid_scope)', async () => {
    await expectOAuthError(issue({ scope: 'read "write"' }), 'invalid_scope', 'scope contains a character that is not allowed');
  });
});

describe('resource', () => {
  it('becomes the audience: one registered resource, or several', async () => {
    expect((await claimsOf({}, { resources: [API] })).aud).toBe(API);
    expect((await claimsOf({}, { resources: [API, REPORTS, API] })).aud).toEqual([API, REPORTS]);
  });

  it('refuses a resource the client was not registered with, and one that is no absolute URI (invalid_target)', async () => {
    await expectOAuthError(issue({}, { resources: [API, 'https://elsewhere.example.com'] }), 'invalid_target', 'the client may not request the resource "https://elsewhere.example.com"');
    await expectOAuthError(issue({}, { resources: [`${API}#part`] }), 'invalid_target', 'resource must be an absolute URI without a fragment');
    await expectOAuthError(issue({}, { resources: ['api'] }), 'invalid_target', 'resource must be an absolute URI without a fragment');
  });
});

describe('DPoP', () => {
  it('binds the token to the proof key: cnf.jkt and token_type DPoP', async () => {
    const jkt = await thumbprint(await keyPair('ES256'));
    const response = await issue({}, { dpop: { jkt } });
    expect(response.token_type).toBe('DPoP');
    expect((await verifiedToken(deps, response.access_token, 'at+jwt')).payload.cnf).toEqual({ jkt });
  });
});
