/**
 * Federated workload credentials (CONTRACT.md "Grants for services and devices", RFC 7523 §2.2):
 * a client registered with `--auth-method federated --federated-issuer URL --federated-subject SUB`
 * has no secret and no key, and gets client_credentials tokens with a JWT from a foreign issuer
 * (external-issuer.ts, a Kubernetes-like issuer on 127.0.0.1), sent as `client_assertion` with
 * `client_id` naming the client. The issuer's keys come from its discovery document or
 * `--federated-jwks-uri`, fetched with limits. Every bad token is refused with 401
 * `invalid_client` and a description naming the failed check; each outcome is an audit line.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { ASSERTION_TYPE, hs256Jwt, keyPair, postForm, unsignedJwt, type Answer } from '../../helpers/asymmetric.js';
import { clientToken, LogLines } from '../../helpers/operations.js';
import { recordTokenResponse } from '../../helpers/secrets.js';
import { externalIssuer, SERVICE_ACCOUNT, type ExternalIssuer, type IssuerOptions } from './external-issuer.js';

let server: TestServer;
let cluster: ExternalIssuer;
let workload: RegisteredClient;
const logs = new LogLines();
const opened: ExternalIssuer[] = [];

beforeAll(async () => {
  server = await startInkan({ onLog: logs.collect, env: { ADMIN_API: 'on' } });
  cluster = await externalIssuer();
  opened.push(cluster);
  workload = await registerFederated(cluster, ['--scope', 'reports:write']);
});
afterAll(async () => {
  await server.stop();
  await Promise.all(opened.map((issuer) => issuer.close()));
});

async function issuerWith(options: IssuerOptions): Promise<ExternalIssuer> {
  const issuer = await externalIssuer(options);
  opened.push(issuer);
  return issuer;
}

function registerFederated(issuer: ExternalIssuer, extra: readonly string[] = []): Promise<RegisteredClient> {
  return registerClient(server, ['--name', 'nightly-export', '--auth-method', 'federated', '--federated-issuer', issuer.issuer, '--federated-subject', SERVICE_ACCOUNT, ...extra]);
}

const tokenUrl = () => `${server.issuer}/token`;

/** A client_credentials request authenticated by a federated token, the client named by client_id. */
function tokenRequest(clientId: string, token: string, extra: Record<string, string> = {}): Promise<Answer> {
  return postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: token, ...extra });
}

function expectRefused(answer: Answer, description: string): void {
  expect(answer.status).toBe(401);
  expect(answer.body).toEqual({ error: 'invalid_client', error_description: description });
  expect(answer.headers.get('www-authenticate')).toBeNull();
}

const now = () => Math.floor(Date.now() / 1000);

describe('a federated client', () => {
  it('is registered with no secret and no key, and listed with its issuer and subject', async () => {
    expect(Object.keys(workload)).toEqual(['client_id']);
    const listed = (await server.cli(['clients', 'list'])).json<Array<Record<string, unknown>>>();
    const entry = listed.find((client) => client.client_id === workload.client_id)!;
    expect(entry).toMatchObject({ auth_method: 'federated', federated_issuer: cluster.issuer, federated_subject: SERVICE_ACCOUNT, federated_claims: {} });
    expect(entry).not.toHaveProperty('jwks_uri');
    expect(entry).not.toHaveProperty('federated_jwks_uri');
  });

  it('gets client_credentials tokens with its platform token, found through the issuer discovery document', async () => {
    const answer = await tokenRequest(workload.client_id, await cluster.mint([server.issuer, 'https://kubernetes.default.svc']));
    expect(answer.status).toBe(200);
    recordTokenResponse(answer.body);
    const accessToken = answer.body.access_token as string;
    // Verified like a relying party: Inkan's keys, Inkan's issuer, the federated client's id.
    const { payload, protectedHeader } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ client_id: workload.client_id, sub: workload.client_id, scope: 'reports:write' });
    expect(cluster.hits.discovery).toBe(1);

    const again = await tokenRequest(workload.client_id, await cluster.mint(server.issuer));
    expect(again.status).toBe(200);
    recordTokenResponse(again.body);
    expect(cluster.hits).toEqual({ discovery: 1, jwks: 1 }); // both documents cached

    const authenticated = logs.audit('client.federated_authenticated').filter((line) => line.client_id === workload.client_id);
    expect(authenticated.length).toBeGreaterThanOrEqual(2);
    expect(authenticated[0]).toMatchObject({ actor: 'client', actor_id: workload.client_id, issuer: cluster.issuer, sub: SERVICE_ACCOUNT });
    expect(typeof authenticated[0]!.token_jti).toBe('string');
  });

  it('authenticates the same way at the introspection and revocation endpoints', async () => {
    const issued = await tokenRequest(workload.client_id, await cluster.mint(server.issuer));
    recordTokenResponse(issued.body);
    const token = issued.body.access_token as string;
    const introspected = await postForm(`${server.issuer}/introspect`, {
      token,
      client_id: workload.client_id,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await cluster.mint(server.issuer),
    });
    expect(introspected.status).toBe(200);
    expect(introspected.body).toMatchObject({ active: true, client_id: workload.client_id });
    const revoked = await postForm(`${server.issuer}/revoke`, {
      token,
      client_id: workload.client_id,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await cluster.mint(server.issuer),
    });
    expect(revoked.status).toBe(200);
    const after = await postForm(`${server.issuer}/introspect`, {
      token,
      client_id: workload.client_id,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await cluster.mint(server.issuer),
    });
    expect(after.body).toEqual({ active: false });
  });

  it('gets tokens with keys from --federated-jwks-uri, without any discovery', async () => {
    const issuer = await issuerWith({ noDiscovery: true, alg: 'ES256' });
    const client = await registerFederated(issuer, ['--federated-jwks-uri', issuer.jwksUri]);
    const answer = await tokenRequest(client.client_id, await issuer.mint(server.issuer));
    expect(answer.status).toBe(200);
    recordTokenResponse(answer.body);
    expect(issuer.hits).toEqual({ discovery: 0, jwks: 1 });
  });

  it('follows a key rotation at the issuer: one refetch for the new kid, none for a made-up kid inside the cool-down', async () => {
    const issuer = await issuerWith({});
    const client = await registerFederated(issuer);
    expect((await tokenRequest(client.client_id, await issuer.mint(server.issuer))).status).toBe(200);
    expect(issuer.hits.jwks).toBe(1);

    await issuer.rotate();
    const rotated = await tokenRequest(client.client_id, await issuer.mint(server.issuer));
    expect(rotated.status).toBe(200);
    recordTokenResponse(rotated.body);
    expect(issuer.hits.jwks).toBe(2);

    const stranger = await keyPair('RS256');
    expectRefused(await tokenRequest(client.client_id, await issuer.mint(server.issuer, { key: stranger })), "no key of the federated issuer's JWK Set matches the token");
    expect(issuer.hits.jwks).toBe(2);
  });

  it('accepts a full-hour token from an issuer whose clock runs ahead by less than the skew', async () => {
    const issued = now() + 30;
    const answer = await tokenRequest(workload.client_id, await cluster.mint(server.issuer, { claims: { iat: issued, nbf: issued, exp: issued + 3600 } }));
    expect(answer.status).toBe(200);
    recordTokenResponse(answer.body);
  });

  it('must match every registered claim exactly', async () => {
    const issuer = await issuerWith({});
    const client = await registerFederated(issuer, ['--federated-claim', 'repository=example/app', '--federated-claim', 'ref=refs/heads/main']);
    const good = await tokenRequest(client.client_id, await issuer.mint(server.issuer, { claims: { repository: 'example/app', ref: 'refs/heads/main' } }));
    expect(good.status).toBe(200);
    recordTokenResponse(good.body);
    expectRefused(
      await tokenRequest(client.client_id, await issuer.mint(server.issuer, { claims: { repository: 'example/app', ref: 'refs/heads/feature' } })),
      'the federated token ref claim is not the registered value',
    );
    expectRefused(await tokenRequest(client.client_id, await issuer.mint(server.issuer, { claims: { ref: 'refs/heads/main' } })), 'the federated token repository claim is not the registered value');
  });

  it('checks the aud against --federated-audience when registered', async () => {
    const issuer = await issuerWith({});
    const client = await registerFederated(issuer, ['--federated-audience', 'inkan-workloads']);
    const good = await tokenRequest(client.client_id, await issuer.mint('inkan-workloads'));
    expect(good.status).toBe(200);
    recordTokenResponse(good.body);
    expectRefused(await tokenRequest(client.client_id, await issuer.mint(server.issuer)), 'the federated token aud does not contain inkan-workloads');
  });
});

describe('a federated token is refused, with the failed check named', () => {
  it.each([
    ['a wrong sub', { sub: 'system:serviceaccount:reports:other' }, 'the federated token sub is not the registered subject'],
    ['a wrong iss', { iss: 'https://other-cluster.example.com' }, 'the federated token iss is not the registered issuer'],
    ['a wrong aud', { aud: ['https://kubernetes.default.svc'] }, 'WRONG_AUD'],
    ['no aud', { aud: undefined }, 'the federated token has no aud'],
    ['an expired token', { iat: now() - 900, nbf: now() - 900, exp: now() - 120 }, 'the federated token has expired'],
    ['no exp', { exp: undefined }, 'the federated token has no exp'],
    ['a lifetime over an hour', { exp: now() + 7200 }, 'the federated token lives longer than 3600 seconds (exp - iat)'],
    ['a lifetime over an hour without iat', { iat: undefined, exp: now() + 3700 }, 'the federated token lives longer than 3600 seconds (exp - iat)'],
    ['nbf in the future', { nbf: now() + 600 }, 'the federated token is not valid yet (nbf)'],
    ['iat in the future', { iat: now() + 600, nbf: undefined }, 'the federated token was issued in the future (iat)'],
    ['an empty jti', { jti: '' }, 'the federated token jti is invalid'],
  ])('%s', async (_what, claims, description) => {
    const expected = description === 'WRONG_AUD' ? `the federated token aud does not contain ${server.issuer}` : description;
    expectRefused(await tokenRequest(workload.client_id, await cluster.mint(server.issuer, { claims })), expected);
  });

  it('a replayed jti, also to another federated client of the same issuer', async () => {
    const token = await cluster.mint(server.issuer);
    const first = await tokenRequest(workload.client_id, token);
    expect(first.status).toBe(200);
    recordTokenResponse(first.body);
    expectRefused(await tokenRequest(workload.client_id, token), 'the federated token was already used (its jti was seen before)');
    const twin = await registerFederated(cluster);
    expectRefused(await tokenRequest(twin.client_id, token), 'the federated token was already used (its jti was seen before)');
  });

  it('a key that is not in the issuer JWK Set, even under a published kid', async () => {
    const stranger = await keyPair('RS256');
    expectRefused(await tokenRequest(workload.client_id, await cluster.mint(server.issuer, { key: stranger })), "no key of the federated issuer's JWK Set matches the token");
    const impostor = { ...stranger, kid: cluster.signer.kid };
    expectRefused(await tokenRequest(workload.client_id, await cluster.mint(server.issuer, { key: impostor })), 'the federated token signature does not verify');
  });

  it('alg none and HS256 (keyed with the issuer public key)', async () => {
    const claims = { iss: cluster.issuer, sub: SERVICE_ACCOUNT, aud: server.issuer, iat: now(), exp: now() + 300, jti: crypto.randomUUID() };
    const refusal = "the federated token's alg is not allowed; allowed: RS256, PS256, ES256, EdDSA, Ed25519";
    expectRefused(await tokenRequest(workload.client_id, unsignedJwt({ kid: cluster.signer.kid }, claims)), refusal);
    const publicKeyBytes = Buffer.from(JSON.stringify(cluster.signer.publicJwk));
    expectRefused(await tokenRequest(workload.client_id, hs256Jwt({ kid: cluster.signer.kid }, claims, publicKeyBytes)), refusal);
  });

  it('a discovery document whose issuer differs from the registered one', async () => {
    const issuer = await issuerWith({ discoveryIssuer: () => 'https://elsewhere.example.com' });
    const client = await registerFederated(issuer);
    expectRefused(
      await tokenRequest(client.client_id, await issuer.mint(server.issuer)),
      "the federated issuer's keys could not be fetched: the discovery document names another issuer than the registered one",
    );
    expect(issuer.hits.jwks).toBe(0);
  });

  it('an oversized JWK Set, read no further than the limit', async () => {
    const issuer = await issuerWith({ jwks: 'oversized' });
    const client = await registerFederated(issuer);
    expectRefused(await tokenRequest(client.client_id, await issuer.mint(server.issuer)), "the federated issuer's keys could not be fetched: the issuer's JWK Set is larger than 65536 bytes");
  });

  it('a JWK Set behind a redirect, which is not followed', async () => {
    const issuer = await issuerWith({ jwks: 'redirect' });
    const client = await registerFederated(issuer);
    expectRefused(
      await tokenRequest(client.client_id, await issuer.mint(server.issuer)),
      "the federated issuer's keys could not be fetched: the issuer's JWK Set answered 302 (a redirect, which is not followed)",
    );
    expect(issuer.hits.jwks).toBe(1);
  });

  it('a client_secret for a federated client (Basic or form), and a federated token without client_id', async () => {
    const guessed = { client_id: workload.client_id, client_secret: crypto.randomBytes(32).toString('base64url') };
    const basic = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, { authorization: basicAuth(guessed) });
    expect(basic.status).toBe(401);
    expect(basic.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    const post = await postForm(tokenUrl(), { grant_type: 'client_credentials', ...guessed });
    expect(post.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    const bare = await postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: workload.client_id });
    expect(bare.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    // Without client_id the assertion's sub (the service account) is taken for a client_id: no such client.
    const unnamed = await postForm(tokenUrl(), { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await cluster.mint(server.issuer) });
    expectRefused(unnamed, 'client authentication failed');
  });

  it('audits each refusal with its reason, never the token', async () => {
    const token = await cluster.mint(server.issuer, { claims: { sub: 'system:serviceaccount:reports:intruder' } });
    expectRefused(await tokenRequest(workload.client_id, token), 'the federated token sub is not the registered subject');
    const refused = logs.audit('client.federated_refused').filter((line) => line.reason === 'the federated token sub is not the registered subject');
    expect(refused.at(-1)).toMatchObject({ actor: 'client', actor_id: workload.client_id, client_id: workload.client_id, issuer: cluster.issuer });
    expect(logs.raw.some((line) => line.includes(token) || line.includes(token.split('.')[1]!))).toBe(false);
  });
});

describe('registering a federated client', () => {
  it.each([
    [['--federated-issuer', 'https://issuer.example.com'], '--auth-method federated needs --federated-issuer and --federated-subject'],
    [['--federated-subject', 'x'], '--auth-method federated needs --federated-issuer and --federated-subject'],
    [['--federated-issuer', 'http://issuer.example.com', '--federated-subject', 'x'], /--federated-issuer "http:\/\/issuer.example.com" uses plain http off loopback/],
    [['--federated-issuer', 'https://issuer.example.com?x=1', '--federated-subject', 'x'], /must not have a query/],
    [['--federated-issuer', 'https://issuer.example.com', '--federated-subject', 'x', '--jwks-uri', 'https://issuer.example.com/keys'], /has no keys of its own/],
    [['--federated-issuer', 'https://issuer.example.com', '--federated-subject', 'x', '--federated-claim', 'sub=y'], /--federated-claim cannot match sub/],
    [['--federated-issuer', 'https://issuer.example.com', '--federated-subject', 'x', '--federated-claim', 'novalue'], '--federated-claim must be name=value, got "novalue"'],
  ])('refuses %j', async (args, message) => {
    const result = await server.cli(['clients', 'create', '--name', 'bad', '--auth-method', 'federated', ...args]);
    expect(result.code).not.toBe(0);
    if (typeof message === 'string') expect(result.stderr).toContain(message);
    else expect(result.stderr).toMatch(message);
  });

  it('refuses the federated options for another auth method', async () => {
    const result = await server.cli(['clients', 'create', '--name', 'bad', '--federated-issuer', 'https://issuer.example.com']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('the --federated-* options are for --auth-method federated only');
  });
});

describe('the admin API', () => {
  async function admin(method: string, path: string, json?: unknown) {
    const operator = await registerClient(server, ['--name', 'ops', '--scope', 'admin']);
    const { access_token: token } = await clientToken(server, operator, 'admin');
    const response = await fetch(`${server.issuer}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  it('registers a federated client like the CLI, documented in its OpenAPI document', async () => {
    const issuer = await issuerWith({});
    const created = await admin('POST', '/clients', {
      name: 'ci-deploy',
      auth_method: 'federated',
      federated_issuer: issuer.issuer,
      federated_subject: SERVICE_ACCOUNT,
      federated_jwks_uri: issuer.jwksUri,
      federated_audience: 'inkan-ci',
      federated_claims: { 'kubernetes.io/namespace': 'reports' },
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(['client_id']);
    const answer = await tokenRequest(created.body.client_id as string, await issuer.mint('inkan-ci', { claims: { 'kubernetes.io/namespace': 'reports' } }));
    expect(answer.status).toBe(200);
    recordTokenResponse(answer.body);

    const refused = await admin('POST', '/clients', { name: 'bad', auth_method: 'federated', federated_issuer: issuer.issuer, federated_subject: 'x', federated_claims: { ref: 1 } });
    expect(refused).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'federated_claims must be an object of string values' } });

    const document = await admin('GET', '/openapi.json');
    expect(document.body.components.schemas.NewClient.properties.auth_method.enum).toContain('federated');
    for (const field of ['federated_issuer', 'federated_subject', 'federated_jwks_uri', 'federated_audience', 'federated_claims']) {
      expect(document.body.components.schemas.NewClient.properties).toHaveProperty(field);
      expect(document.body.components.schemas.Client.properties).toHaveProperty(field);
    }
  });
});
