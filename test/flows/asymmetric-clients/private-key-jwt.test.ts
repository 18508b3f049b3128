/**
 * private_key_jwt (RFC 7523 §2.2, OIDC Core §9) at the token, revocation and introspection
 * endpoints: openid-client's `PrivateKeyJwt` gets tokens with keys registered by file and by
 * jwks_uri; `aud` is one value, the issuer or the token endpoint URL exactly, at every endpoint
 * (each audience of the 2025 injection class is sent and refused); every bad assertion is
 * refused with 401 invalid_client and no WWW-Authenticate challenge (RFC 6749 §5.2: the challenge
 * is for a client that tried the Authorization header), so openid-client reports the refusal as
 * `invalid_client`.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import {
  ASSERTION_TYPE,
  assertion,
  assertionClaims,
  hs256Jwt,
  jwksServer,
  keyPair,
  postForm,
  registerKeyClient,
  unsignedJwt,
  type JwksServer,
  type KeyPair,
} from '../../helpers/asymmetric.js';

let server: TestServer;
let rsa: KeyPair;
let rsaClient: RegisteredClient;

beforeAll(async () => {
  server = await startInkan();
  rsa = await keyPair('RS256');
  rsaClient = await registerKeyClient(server, [rsa]);
});
afterAll(async () => {
  await server.stop();
});

const tokenUrl = () => `${server.issuer}/token`;

function configFor(clientId: string, key: KeyPair) {
  return oidc.discovery(new URL(server.issuer), clientId, undefined, oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** A client_credentials request authenticated by `clientAssertion`. */
function withAssertion(clientAssertion: string, extra: Record<string, string> = {}) {
  return postForm(tokenUrl(), { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion, ...extra });
}

function expectInvalidClient(answer: { status: number; headers: Headers; body: Record<string, unknown> }, description?: RegExp) {
  expect(answer.status).toBe(401);
  expect(answer.body.error).toBe('invalid_client');
  expect(answer.headers.get('www-authenticate')).toBeNull();
  if (description !== undefined) expect(answer.body.error_description).toMatch(description);
}

describe('openid-client with PrivateKeyJwt', () => {
  // The client's own tokens are signed with `tokenAlg` (an ES256 client that authenticates with ES256).
  it.each([['RS256', 'EdDSA'], ['PS256', 'EdDSA'], ['ES256', 'ES256'], ['EdDSA', 'EdDSA']] as const)('gets a client_credentials token with a %s key from --jwks-file (tokens signed %s)', async (alg, tokenAlg) => {
    const key = await keyPair(alg);
    const client = await registerKeyClient(server, [key], ['--alg', tokenAlg]);
    const config = await configFor(client.client_id, key);
    const response = await oidc.clientCredentialsGrant(config, { scope: 'read' });
    const { payload, protectedHeader } = await jwtVerify(response.access_token, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), {
      issuer: server.issuer,
      audience: server.issuer,
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe(tokenAlg);
    expect(payload).toMatchObject({ sub: client.client_id, client_id: client.client_id, scope: 'read' });
  });

  it('refuses an ES256 assertion whose signature is DER rather than R || S (RFC 7518 §3.4)', async () => {
    const key = await keyPair('ES256');
    const client = await registerKeyClient(server, [key], ['--alg', 'ES256']);
    const good = await assertion(key, client.client_id, server.issuer);
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const privateKey = crypto.KeyObject.from(key.privateKey);
    const der = crypto.sign('sha256', Buffer.from(`${header}.${payload}`), privateKey);
    expect(Buffer.from(signature, 'base64url')).toHaveLength(64);
    expectInvalidClient(await withAssertion(`${header}.${payload}.${der.toString('base64url')}`), /^the client assertion signature does not verify$/);
    expect((await withAssertion(good)).status).toBe(200);
  });

  it('revokes and introspects with the same client authentication', async () => {
    const config = await configFor(rsaClient.client_id, rsa);
    const { access_token: accessToken } = await oidc.clientCredentialsGrant(config, { scope: 'read' });
    const active = await oidc.tokenIntrospection(config, accessToken);
    expect(active).toMatchObject({ active: true, client_id: rsaClient.client_id, token_type: 'Bearer' });
    await oidc.tokenRevocation(config, accessToken);
    expect(await oidc.tokenIntrospection(config, accessToken)).toEqual({ active: false });
  });

  it('gets tokens with keys from a jwks_uri, refetched once when the client rotates its key', async () => {
    const first = await keyPair('ES256');
    const jwks: JwksServer = await jwksServer([first.publicJwk]);
    try {
      const client = await registerClient(server, ['--name', 'uri-client', '--auth-method', 'private_key_jwt', '--jwks-uri', jwks.url, '--scope', 'read']);
      const listed = (await server.cli(['clients', 'list'])).json<Array<Record<string, unknown>>>();
      expect(listed.find((entry) => entry.client_id === client.client_id)).toMatchObject({ jwks_uri: jwks.url, auth_method: 'private_key_jwt' });

      await oidc.clientCredentialsGrant(await configFor(client.client_id, first));
      await oidc.clientCredentialsGrant(await configFor(client.client_id, first));
      expect(jwks.hits).toBe(1); // cached

      // The client rotates: a kid the cached set lacks causes one refetch.
      const second = await keyPair('ES256');
      jwks.keys = [second.publicJwk];
      await oidc.clientCredentialsGrant(await configFor(client.client_id, second));
      expect(jwks.hits).toBe(2);

      // A made-up kid right after: no refetch inside the cooldown, and the assertion fails.
      const stranger = await keyPair('ES256');
      const refused = await withAssertion(await assertion(stranger, client.client_id, server.issuer));
      expectInvalidClient(refused, /no registered key/);
      expect(jwks.hits).toBe(2);
    } finally {
      await jwks.close();
    }
  });
});

describe('the audience of an assertion: one value, the issuer or the token endpoint URL, exactly', () => {
  const endpoints = async () => (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  /** A request authenticated by `clientAssertion` at `endpoint`: client_credentials at the token endpoint, a token elsewhere. */
  async function at(endpoint: 'token' | 'introspection' | 'revocation', clientAssertion: string) {
    if (endpoint === 'token') return withAssertion(clientAssertion);
    const { access_token: token } = (await withAssertion(await assertion(rsa, rsaClient.client_id, server.issuer))).body as { access_token: string };
    const url = (await endpoints())[`${endpoint}_endpoint`]!;
    return postForm(url, { token, client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion });
  }
  const ENDPOINTS = ['token', 'introspection', 'revocation'] as const;

  it.each(ENDPOINTS)('accepts the issuer and the token endpoint URL, as a string or an array of one, at the %s endpoint', async (endpoint) => {
    for (const aud of [server.issuer, tokenUrl(), [server.issuer], [tokenUrl()]]) {
      const answer = await at(endpoint, await assertion(rsa, rsaClient.client_id, aud));
      expect(answer.status, JSON.stringify(aud)).toBe(200);
      if (endpoint === 'token') expect(answer.body.token_type).toBe('Bearer');
      if (endpoint === 'introspection') expect(answer.body.active).toBe(true);
    }
  });

  const ONE_VALUE = (count: number) => `the client assertion aud must be one value (the issuer or the token endpoint URL), not an array of ${count}`;
  const EXACTLY = 'the client assertion aud must be exactly the issuer or the token endpoint URL (case-sensitive, nothing else)';
  const refused: Array<[string, () => Promise<unknown>, string]> = [
    ['the issuer beside another authorization server', async () => [server.issuer, 'https://other-as.example'], ONE_VALUE(2)],
    ['another audience beside the token endpoint URL', async () => ['https://elsewhere.example', tokenUrl()], ONE_VALUE(2)],
    ['the issuer twice', async () => [server.issuer, server.issuer], ONE_VALUE(2)],
    ['an empty array', async () => [], ONE_VALUE(0)],
    ['the introspection endpoint URL', async () => (await endpoints()).introspection_endpoint, EXACTLY],
    ['the introspection endpoint URL in capitals', async () => (await endpoints()).introspection_endpoint!.replace('/introspect', '/INTROSPECT'), EXACTLY],
    ['the revocation endpoint URL', async () => (await endpoints()).revocation_endpoint, EXACTLY],
    ['the revocation endpoint URL in capitals', async () => (await endpoints()).revocation_endpoint!.replace('/revoke', '/REVOKE'), EXACTLY],
    ['the introspection endpoint URL in an array of one', async () => [(await endpoints()).introspection_endpoint], EXACTLY],
    ['the issuer with a trailing slash', async () => `${server.issuer}/`, EXACTLY],
    ['the token endpoint URL with a trailing slash', async () => `${tokenUrl()}/`, EXACTLY],
    ['the issuer in other case', async () => server.issuer.toUpperCase(), EXACTLY],
    ['the token endpoint URL in other case', async () => tokenUrl().replace('/token', '/Token'), EXACTLY],
    ['another authorization server', async () => 'https://other-idp.example', EXACTLY],
    ['a number', async () => 42, 'the client assertion aud must be a string'],
    ['an array of one number', async () => [42], 'the client assertion aud must be a string'],
    ['no aud at all', async () => undefined, 'the client assertion has no aud'],
  ];

  it.each(ENDPOINTS.flatMap((endpoint) => refused.map(([name, aud, description]) => [endpoint, name, aud, description] as const)))(
    'at the %s endpoint refuses %s with 401 invalid_client',
    async (endpoint, _name, aud, description) => {
      const clientAssertion = await assertion(rsa, rsaClient.client_id, server.issuer, { claims: { aud: await aud() } });
      const answer = await at(endpoint, clientAssertion);
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'invalid_client', error_description: description });
      // No challenge: this client did not try the Authorization header (RFC 6749 §5.2).
      expect(answer.headers.get('www-authenticate')).toBeNull();
    },
  );
});

describe('bad assertions: 401 invalid_client', () => {
  it('refuses a replayed assertion', async () => {
    const once = await assertion(rsa, rsaClient.client_id, server.issuer);
    expect((await withAssertion(once)).status).toBe(200);
    const replayed = await withAssertion(once);
    expectInvalidClient(replayed, /already used/);
  });

  it('is reported by openid-client as invalid_client, not as an authentication challenge', async () => {
    const stranger = await keyPair('RS256', rsa.kid);
    const config = await configFor(rsaClient.client_id, stranger);
    const refusal = await oidc.clientCredentialsGrant(config, { scope: 'read' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(oidc.ResponseBodyError);
    expect(refusal).toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('refuses a replay at another endpoint too (one jti store)', async () => {
    const once = await assertion(rsa, rsaClient.client_id, server.issuer);
    expect((await withAssertion(once)).status).toBe(200);
    expectInvalidClient(await postForm(`${server.issuer}/revoke`, { token: 'x', client_assertion_type: ASSERTION_TYPE, client_assertion: once }));
  });

  it('refuses an expired assertion', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await assertion(rsa, rsaClient.client_id, server.issuer, { claims: { iat: now - 600, exp: now - 300 } });
    expectInvalidClient(await withAssertion(expired), /expired/);
  });

  it('refuses an assertion living longer than 5 minutes, or without exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidClient(await withAssertion(await assertion(rsa, rsaClient.client_id, server.issuer, { claims: { exp: now + 3600 } })), /longer than 300/);
    expectInvalidClient(await withAssertion(await assertion(rsa, rsaClient.client_id, server.issuer, { claims: { exp: undefined } })));
  });

  it('refuses an assertion issued in the future, and one without jti', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidClient(await withAssertion(await assertion(rsa, rsaClient.client_id, server.issuer, { claims: { iat: now + 600, exp: now + 660 } })));
    expectInvalidClient(await withAssertion(await assertion(rsa, rsaClient.client_id, server.issuer, { claims: { jti: undefined } })));
  });

  it('refuses an HS256 assertion for a private_key_jwt client (MAC keyed with its public key)', async () => {
    const claims = assertionClaims(rsaClient.client_id, server.issuer);
    const keyBytes = Buffer.from(JSON.stringify(rsa.publicJwk));
    expectInvalidClient(await withAssertion(hs256Jwt({ kid: rsa.kid }, claims, keyBytes)), /alg "HS256" is not allowed/);
  });

  it('refuses alg none', async () => {
    expectInvalidClient(await withAssertion(unsignedJwt({ kid: rsa.kid }, assertionClaims(rsaClient.client_id, server.issuer))), /alg "none" is not allowed/);
  });

  it('refuses an assertion signed by a key the client did not register', async () => {
    const other = await keyPair('RS256', rsa.kid);
    expectInvalidClient(await withAssertion(await assertion(other, rsaClient.client_id, server.issuer)), /signature/);
  });

  it('refuses iss different from sub, and a client_id that does not match', async () => {
    expectInvalidClient(await withAssertion(await assertion(rsa, rsaClient.client_id, server.issuer, { claims: { iss: 'someone-else' } })), /iss and sub/);
    expectInvalidClient(await withAssertion(await assertion(rsa, rsaClient.client_id, server.issuer), { client_id: 'someone-else' }), /client_id/);
  });

  it('refuses an unknown client, a wrong assertion type, and a secret client using an assertion', async () => {
    expectInvalidClient(await withAssertion(await assertion(rsa, crypto.randomUUID(), server.issuer)));
    expectInvalidClient(
      await postForm(tokenUrl(), { grant_type: 'client_credentials', client_assertion_type: 'urn:example:other', client_assertion: await assertion(rsa, rsaClient.client_id, server.issuer) }),
      /client_assertion_type/,
    );
    const secretClient = await registerClient(server, ['--name', 'secret-client']);
    expectInvalidClient(await withAssertion(await assertion(rsa, secretClient.client_id, server.issuer)), /registered for client_secret_basic/);
  });

  it('refuses a private_key_jwt client that presents a secret instead', async () => {
    const answer = await postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: rsaClient.client_id, client_secret: 'guess' });
    expectInvalidClient(answer);
  });
});

describe('registration and discovery', () => {
  it('refuses private_key_jwt without keys, with both sources, and a plain-http jwks_uri off loopback', async () => {
    for (const args of [
      ['--auth-method', 'private_key_jwt'],
      ['--auth-method', 'private_key_jwt', '--jwks-uri', 'http://keys.example.com/jwks.json'],
    ]) {
      const result = await server.cli(['clients', 'create', '--name', 'bad', ...args]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/jwks/);
    }
    const file = `${server.dir}/both.json`;
    (await import('node:fs')).writeFileSync(file, JSON.stringify({ keys: [rsa.publicJwk] }));
    const both = await server.cli(['clients', 'create', '--name', 'bad', '--auth-method', 'private_key_jwt', '--jwks-file', file, '--jwks-uri', 'https://keys.example.com/jwks.json']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('not both');
  });

  it('lists private_key_jwt and the assertion and DPoP algorithms', async () => {
    const document = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    for (const field of ['token_endpoint_auth_methods_supported', 'revocation_endpoint_auth_methods_supported', 'introspection_endpoint_auth_methods_supported']) {
      expect(document[field]).toContain('private_key_jwt');
    }
    for (const field of ['token_endpoint_auth_signing_alg_values_supported', 'revocation_endpoint_auth_signing_alg_values_supported', 'introspection_endpoint_auth_signing_alg_values_supported', 'dpop_signing_alg_values_supported']) {
      expect(document[field]).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519']);
      expect(document[field]).not.toContain('HS256');
    }
  });
});
