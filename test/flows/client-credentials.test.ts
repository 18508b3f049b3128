/**
 * The foundation's promise, end to end: a server-to-server client gets an access token with
 * `openid-client`, and a relying party verifies it offline with nothing but the JWKS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startInkan, type TestServer } from '../helpers/inkan.js';
import { registerClient } from '../helpers/clients.js';

let server: TestServer;

beforeAll(async () => {
  server = await startInkan();
});
afterAll(async () => {
  await server.stop();
});

async function clientConfig(clientId: string, secret: string, auth: 'basic' | 'post' = 'basic') {
  return oidc.discovery(
    new URL(server.issuer),
    clientId,
    undefined,
    auth === 'basic' ? oidc.ClientSecretBasic(secret) : oidc.ClientSecretPost(secret),
    { execute: [oidc.allowInsecureRequests] },
  );
}

describe.each([
  ['RS256', 'basic'],
  ['EdDSA', 'post'],
] as const)('client_credentials with an %s client (client_secret_%s)', (alg, auth) => {
  it('issues an RFC 9068 access token that verifies against the remote JWKS', async () => {
    const client = await registerClient(server, [
      '--name', `svc-${alg}`, '--alg', alg, '--scope', 'read write',
      '--resources', 'https://api.example.com', '--auth-method', `client_secret_${auth}`,
    ]);
    const config = await clientConfig(client.client_id, client.client_secret!, auth);
    const response = await oidc.clientCredentialsGrant(config, { scope: 'read', resource: 'https://api.example.com' });
    expect(response.token_type).toBe('bearer');
    expect(response.expires_in).toBe(900);
    expect(response.scope).toBe('read');

    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(response.access_token, jwks, {
      issuer: server.issuer,
      audience: 'https://api.example.com',
      typ: 'at+jwt',
      algorithms: [alg],
    });
    expect(protectedHeader.kid).toEqual(expect.any(String));
    expect(payload).toMatchObject({ sub: client.client_id, client_id: client.client_id, scope: 'read' });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(payload.jti).toEqual(expect.any(String));
  });
});

it('gives a request without scope all of the client\'s scopes and the issuer as audience', async () => {
  const client = await registerClient(server, ['--name', 'svc', '--scope', 'a b']);
  const config = await clientConfig(client.client_id, client.client_secret!);
  const response = await oidc.clientCredentialsGrant(config);
  expect(response.scope).toBe('a b');
  const { payload } = await jwtVerify(response.access_token, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer });
  expect(payload.aud).toBe(server.issuer);
  expect(decodeProtectedHeader(response.access_token).alg).toBe('RS256');
});
