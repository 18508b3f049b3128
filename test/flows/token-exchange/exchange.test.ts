/**
 * Token exchange (RFC 8693) over HTTP. A person signs in at a web app (openid-client, Inkan's
 * pages); a gateway registered for the grant exchanges their access token with openid-client's
 * generic grant for a token for the orders API: the subject's `sub`, `sid` and `grant_id`,
 * `aud` = the resource, `act` = the gateway, a scope within both the subject token's and the
 * gateway's, a lifetime no longer than the subject token's. The orders API exchanges that token
 * again (nested `act`); `may_act`, actor tokens and DPoP-bound subject tokens; and every bad
 * request answered with its exact error (RFC 8693 §2.2.2, RFC 6749 §5.2, the operator contract).
 * Tokens are checked as a relying party checks them: jose against the published JWKS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { generateKeyPair, SignJWT } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { basicAuth, clientCredentialsToken, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { decodePayload, dpopProof, keyPair, thumbprint, type KeyPair } from '../../helpers/asymmetric.js';
import { introspect, revoke } from '../../helpers/refresh.js';
import { LogLines, sample, scrape } from '../../helpers/operations.js';
import {
  ACCESS_TOKEN_TYPE, exchange, INVENTORY, mintedAccessToken, ORDERS, registerParties, relyingPartyClaims, signInPerson, subjectParams,
  TOKEN_EXCHANGE, type Parties, type SignedIn,
} from './support.js';

const log = new LogLines();
let server: TestServer;
let parties: Parties;
let ada: SignedIn;

beforeAll(async () => {
  server = await startInkan({ onLog: log.collect });
  parties = await registerParties(server);
  ada = await signInPerson(server, parties);
});
afterAll(async () => {
  await server.stop();
});

const tokenUrl = () => `${server.issuer}/token`;

async function configFor(client: RegisteredClient): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(server.issuer), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
}

function expectError(answer: { status: number; body: Record<string, unknown> }, error: string, description: string, status = 400): void {
  expect({ status: answer.status, body: answer.body }).toEqual({ status, body: { error, error_description: description } });
}

describe('an exchange', () => {
  it('is listed in discovery as a supported grant type', async () => {
    const metadata = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as { grant_types_supported: string[] };
    expect(metadata.grant_types_supported).toContain(TOKEN_EXCHANGE);
  });

  it('gives the gateway (openid-client) a token for the orders API that keeps the person as subject and names the gateway as actor', async () => {
    const subject = decodePayload(ada.tokens.access_token);
    const answer = await oidc.genericGrantRequest(await configFor(parties.gateway), TOKEN_EXCHANGE, subjectParams(ada.tokens.access_token, { resource: ORDERS }));
    expect(answer.issued_token_type).toBe(ACCESS_TOKEN_TYPE);
    expect(answer.token_type).toBe('bearer');
    expect(answer.refresh_token).toBeUndefined();
    expect(answer.id_token).toBeUndefined();
    // The scope is the intersection of the subject token's and the gateway's.
    expect(answer.scope).toBe('orders:read orders:write');
    const claims = await relyingPartyClaims(server, answer.access_token, ORDERS);
    expect(claims).toMatchObject({
      iss: server.issuer,
      sub: ada.person.id,
      aud: ORDERS,
      client_id: parties.gateway.client_id,
      act: { sub: parties.gateway.client_id },
      scope: 'orders:read orders:write',
      sid: subject.sid,
      grant_id: subject.grant_id,
      auth_time: subject.auth_time,
      acr: subject.acr,
      amr: subject.amr,
    });
    expect(claims.act).toEqual({ sub: parties.gateway.client_id });
    expect(claims.jti).not.toBe(subject.jti);
    expect(claims.exp).toBeLessThanOrEqual(subject.exp as number);
    expect(answer.expires_in).toBeLessThanOrEqual((subject.exp as number) - (claims.iat as number));
    // The orders API, as the resource server the token is for, sees it active, with its actor.
    const introspected = await introspect(server, parties.ordersApi, answer.access_token);
    expect(introspected.body).toMatchObject({ active: true, sub: ada.person.id, client_id: parties.gateway.client_id, act: { sub: parties.gateway.client_id } });
  });

  it('takes `audience` as the target too, and a narrower scope on request', async () => {
    const answer = await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { audience: ORDERS, scope: 'orders:read' }));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ access_token: expect.any(String), issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: expect.any(Number), scope: 'orders:read' });
    const claims = await relyingPartyClaims(server, answer.body.access_token as string, ORDERS);
    expect(claims.scope).toBe('orders:read');
  });

  it('without a resource gives a token for Inkan itself (aud = issuer), as every grant does', async () => {
    const answer = await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { scope: 'orders:read' }));
    expect(answer.status).toBe(200);
    expect((await relyingPartyClaims(server, answer.body.access_token as string, server.issuer)).aud).toBe(server.issuer);
  });

  it('never outlives the subject token', async () => {
    const subjectToken = await mintedAccessToken(server, parties.web, {
      subject: ada.person.id, scopes: ['orders:read'], ttlSeconds: 40, issuedSecondsAgo: 10,
    });
    const subjectExp = decodePayload(subjectToken).exp as number;
    const answer = await exchange(server, parties.gateway, subjectParams(subjectToken, { resource: ORDERS }));
    expect(answer.status).toBe(200);
    const claims = await relyingPartyClaims(server, answer.body.access_token as string, ORDERS);
    expect(claims.exp).toBe(subjectExp);
    expect(answer.body.expires_in).toBe(subjectExp - (claims.iat as number));
    expect(answer.body.expires_in).toBeLessThanOrEqual(30);
  });

  it('nests the actors when an exchanged token is exchanged again (orders API → inventory API)', async () => {
    const first = await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { resource: ORDERS, scope: 'orders:read' }));
    // The orders API may ask only for what it and the first token share: orders:read.
    const wider = await exchange(server, parties.ordersApi, subjectParams(first.body.access_token as string, { resource: INVENTORY, scope: 'inventory:read' }));
    expectError(wider, 'invalid_scope', 'the scope "inventory:read" is not in both the subject token\'s scope and the client\'s');
    const second = await exchange(server, parties.ordersApi, subjectParams(first.body.access_token as string, { resource: INVENTORY }));
    expect(second.status).toBe(200);
    const claims = await relyingPartyClaims(server, second.body.access_token as string, INVENTORY);
    expect(claims).toMatchObject({ sub: ada.person.id, client_id: parties.ordersApi.client_id, scope: 'orders:read' });
    expect(claims.act).toEqual({ sub: parties.ordersApi.client_id, act: { sub: parties.gateway.client_id } });
  });

  it('exchanges a client-credentials token too: the service stays the subject', async () => {
    const service = await registerClient(server, ['--name', 'batch', '--scope', 'orders:read']);
    const serviceToken = await clientCredentialsToken(server.issuer, service);
    const answer = await exchange(server, parties.gateway, subjectParams(serviceToken, { resource: ORDERS }));
    expect(answer.status).toBe(200);
    expect(await relyingPartyClaims(server, answer.body.access_token as string, ORDERS)).toMatchObject({
      sub: service.client_id, client_id: parties.gateway.client_id, act: { sub: parties.gateway.client_id }, scope: 'orders:read',
    });
  });

  it('writes an audit line naming the subject, the exchanging client, the actor and the subject token, and counts it by grant type', async () => {
    const before = sample(await scrape(server), 'inkan_tokens_issued_total', { grant_type: TOKEN_EXCHANGE, client_id: parties.gateway.client_id }) ?? 0;
    const answer = await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { resource: ORDERS }));
    const jti = decodePayload(answer.body.access_token as string).jti;
    const line = log.audit('token.issued').find((entry) => entry.jti === jti);
    expect(line).toMatchObject({
      grant_type: TOKEN_EXCHANGE,
      client_id: parties.gateway.client_id,
      sub: ada.person.id,
      act_sub: parties.gateway.client_id,
      subject_client_id: parties.web.client_id,
      subject_jti: decodePayload(ada.tokens.access_token).jti,
      actor: 'client',
      actor_id: parties.gateway.client_id,
    });
    const after = sample(await scrape(server), 'inkan_tokens_issued_total', { grant_type: TOKEN_EXCHANGE, client_id: parties.gateway.client_id });
    expect(after).toBe(before + 1);
  });
});

describe('may_act and actor tokens', () => {
  it('lets only the party a subject token\'s may_act names act for its subject (RFC 8693 §4.4)', async () => {
    const subjectToken = await mintedAccessToken(server, parties.web, {
      subject: ada.person.id, scopes: ['orders:read'], extraClaims: { may_act: { sub: parties.gateway.client_id } },
    });
    expect((await exchange(server, parties.gateway, subjectParams(subjectToken, { resource: ORDERS }))).status).toBe(200);
    expectError(
      await exchange(server, parties.ordersApi, subjectParams(subjectToken, { resource: ORDERS })),
      'invalid_grant',
      'the subject token does not allow this actor to act for its subject (may_act)',
    );
    // The right sub from another issuer is another party.
    const foreignIssuer = await mintedAccessToken(server, parties.web, {
      subject: ada.person.id, scopes: ['orders:read'], extraClaims: { may_act: { sub: parties.gateway.client_id, iss: 'https://elsewhere.example.com' } },
    });
    expectError(
      await exchange(server, parties.gateway, subjectParams(foreignIssuer, { resource: ORDERS })),
      'invalid_grant',
      'the subject token does not allow this actor to act for its subject (may_act)',
    );
  });

  it('names the actor token\'s subject as actor, checks it against may_act, and takes only an actor token issued to the exchanging client', async () => {
    const support = { id: 'support-agent-7' };
    const subjectToken = await mintedAccessToken(server, parties.web, {
      subject: ada.person.id, scopes: ['orders:read'], extraClaims: { may_act: { sub: support.id, iss: server.issuer } },
    });
    const actorToken = await mintedAccessToken(server, parties.gateway, { subject: support.id, scopes: ['orders:read'] });
    const answer = await exchange(server, parties.gateway, subjectParams(subjectToken, { resource: ORDERS, actor_token: actorToken, actor_token_type: ACCESS_TOKEN_TYPE }));
    expect(answer.status).toBe(200);
    const claims = await relyingPartyClaims(server, answer.body.access_token as string, ORDERS);
    expect(claims).toMatchObject({ sub: ada.person.id, client_id: parties.gateway.client_id });
    expect(claims.act).toEqual({ sub: support.id });
    // Without the actor token, the gateway itself is the actor, and may_act does not name it.
    expectError(
      await exchange(server, parties.gateway, subjectParams(subjectToken, { resource: ORDERS })),
      'invalid_grant',
      'the subject token does not allow this actor to act for its subject (may_act)',
    );
    const othersActorToken = await mintedAccessToken(server, parties.ordersApi, { subject: support.id, scopes: ['orders:read'] });
    expectError(
      await exchange(server, parties.gateway, subjectParams(subjectToken, { resource: ORDERS, actor_token: othersActorToken, actor_token_type: ACCESS_TOKEN_TYPE })),
      'invalid_grant',
      'the actor token was not issued to this client',
    );
  });

  it('lasts no longer than the actor token either', async () => {
    const actorToken = await mintedAccessToken(server, parties.gateway, { subject: 'support-agent-7', scopes: [], ttlSeconds: 20 });
    const answer = await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { resource: ORDERS, actor_token: actorToken, actor_token_type: ACCESS_TOKEN_TYPE }));
    expect(answer.status).toBe(200);
    expect((await relyingPartyClaims(server, answer.body.access_token as string, ORDERS)).exp).toBe(decodePayload(actorToken).exp);
  });
});

describe('a DPoP-bound subject token', () => {
  let key: KeyPair;
  let otherKey: KeyPair;
  let boundToken: string;

  beforeAll(async () => {
    [key, otherKey] = await Promise.all([keyPair('ES256'), keyPair('ES256')]);
    boundToken = await mintedAccessToken(server, parties.web, { subject: ada.person.id, scopes: ['orders:read'], extraClaims: { cnf: { jkt: await thumbprint(key) } } });
  });

  it('is exchanged (openid-client with a DPoP handle) only with a proof of its key, for a token bound to that key', async () => {
    const config = await configFor(parties.gateway);
    const handle = oidc.getDPoPHandle(config, { privateKey: key.privateKey, publicKey: key.publicKey });
    const answer = await oidc.genericGrantRequest(config, TOKEN_EXCHANGE, subjectParams(boundToken, { resource: ORDERS }), { DPoP: handle });
    expect(answer.token_type).toBe('dpop');
    expect((await relyingPartyClaims(server, answer.access_token, ORDERS)).cnf).toEqual({ jkt: await thumbprint(key) });
  });

  it('is refused without a proof, and with a proof of another key', async () => {
    expectError(
      await exchange(server, parties.gateway, subjectParams(boundToken, { resource: ORDERS })),
      'invalid_dpop_proof',
      'the subject token is bound to a DPoP key: send a DPoP proof of that key',
    );
    expectError(
      await exchange(server, parties.gateway, subjectParams(boundToken, { resource: ORDERS }), { dpop: await dpopProof(otherKey, 'POST', tokenUrl()) }),
      'invalid_dpop_proof',
      'the DPoP proof is signed by another key than the one the subject token is bound to',
    );
  });
});

describe('refusals', () => {
  it('answers unauthorized_client to a client not registered for the grant', async () => {
    const answer = await exchange(server, parties.web, subjectParams(ada.tokens.access_token));
    expectError(answer, 'unauthorized_client', `the client is not registered for the ${TOKEN_EXCHANGE} grant`);
  });

  it('answers invalid_request for a missing or unsupported parameter (RFC 8693 §2.1, §2.2.2)', async () => {
    const token = ada.tokens.access_token;
    const cases: [Record<string, string>, string][] = [
      [{ subject_token_type: ACCESS_TOKEN_TYPE }, 'subject_token is required'],
      [{ subject_token: token }, 'subject_token_type is required'],
      [subjectParams(token, { subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }), `subject_token_type must be ${ACCESS_TOKEN_TYPE}: Inkan exchanges only its own access tokens`],
      [subjectParams(token, { subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' }), `subject_token_type must be ${ACCESS_TOKEN_TYPE}: Inkan exchanges only its own access tokens`],
      [subjectParams(token, { actor_token: token }), 'actor_token_type is required'],
      [subjectParams(token, { actor_token_type: ACCESS_TOKEN_TYPE }), 'actor_token_type is given without actor_token'],
      [subjectParams(token, { actor_token: token, actor_token_type: 'urn:ietf:params:oauth:token-type:saml2' }), `actor_token_type must be ${ACCESS_TOKEN_TYPE}: Inkan exchanges only its own access tokens`],
      [subjectParams(token, { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }), `requested_token_type must be ${ACCESS_TOKEN_TYPE}: Inkan issues only access tokens by exchange`],
    ];
    for (const [params, description] of cases) expectError(await exchange(server, parties.gateway, params), 'invalid_request', description);
  });

  it('answers invalid_target for a resource or an audience that is not the client\'s', async () => {
    expectError(
      await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { resource: INVENTORY })),
      'invalid_target',
      `the client may not request the resource "${INVENTORY}"`,
    );
    expectError(
      await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { audience: 'orders' })),
      'invalid_target',
      'the client may not request the audience "orders"',
    );
  });

  it('answers invalid_scope for a scope wider than the subject token\'s or the client\'s', async () => {
    // The gateway may have inventory:read, but the person's token does not carry it.
    expectError(
      await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { resource: ORDERS, scope: 'orders:read inventory:read' })),
      'invalid_scope',
      'the scope "inventory:read" is not in both the subject token\'s scope and the client\'s',
    );
    // The person's token carries email, but the gateway may not have it.
    expectError(
      await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { resource: ORDERS, scope: 'email' })),
      'invalid_scope',
      'the scope "email" is not in both the subject token\'s scope and the client\'s',
    );
    const nothingShared = await mintedAccessToken(server, parties.web, { subject: ada.person.id, scopes: ['email'] });
    expectError(
      await exchange(server, parties.gateway, subjectParams(nothingShared, { resource: ORDERS })),
      'invalid_scope',
      'the subject token and the client have no scope in common',
    );
  });

  it('answers invalid_grant for a revoked subject token (RFC 7009)', async () => {
    const bob = await signInPerson(server, parties);
    expect((await revoke(server, parties.web, bob.tokens.access_token)).status).toBe(200);
    expectError(await exchange(server, parties.gateway, subjectParams(bob.tokens.access_token, { resource: ORDERS })), 'invalid_grant', 'the subject token was revoked');
  });

  it('answers invalid_grant for an expired subject token', async () => {
    const expired = await mintedAccessToken(server, parties.web, { subject: ada.person.id, scopes: ['orders:read'], ttlSeconds: 60, issuedSecondsAgo: 120 });
    expectError(await exchange(server, parties.gateway, subjectParams(expired, { resource: ORDERS })), 'invalid_grant', 'the subject token has expired');
  });

  it('answers invalid_grant for a foreign subject token: another issuer\'s key, Inkan\'s key with another iss, an ID token, garbage', async () => {
    const claims = decodePayload(ada.tokens.access_token);
    const { privateKey } = await generateKeyPair('RS256');
    const kid = (JSON.parse(Buffer.from(ada.tokens.access_token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    const foreignKey = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(privateKey);
    const otherIssuer = server.deps.keyring.signer('RS256').sign('at+jwt', { ...claims, iss: 'https://other-idp.example.com' });
    const idToken = ada.tokens.id_token!;
    for (const foreign of [foreignKey, otherIssuer, idToken, 'not-a-token']) {
      expectError(await exchange(server, parties.gateway, subjectParams(foreign, { resource: ORDERS })), 'invalid_grant', 'the subject token is invalid');
    }
    const forgedActor = server.deps.keyring.signer('RS256').sign('JWT', { ...claims, client_id: parties.gateway.client_id });
    expectError(
      await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { resource: ORDERS, actor_token: forgedActor, actor_token_type: ACCESS_TOKEN_TYPE })),
      'invalid_grant',
      'the actor token is invalid',
    );
  });

  it('answers invalid_grant for a subject token meant for a resource server the client is not', async () => {
    // A token for the orders API cannot be re-targeted by a client that is not the orders API.
    const ordersToken = (await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { resource: ORDERS }))).body.access_token as string;
    const inventoryOnly = await registerClient(server, ['--name', 'inventory-sync', '--grant-types', TOKEN_EXCHANGE, '--scope', 'orders:read', '--resources', INVENTORY]);
    expectError(
      await exchange(server, inventoryOnly, subjectParams(ordersToken, { resource: INVENTORY })),
      'invalid_grant',
      'the subject token is meant for another resource server than this client',
    );
  });

  it('refuses to register a public client for the grant', async () => {
    const result = await server.cli(['clients', 'create', '--name', 'spa', '--auth-method', 'none', '--grant-types', TOKEN_EXCHANGE]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('a public client (auth method none) cannot use token exchange');
  });

  it('answers a client that fails authentication with invalid_client before looking at the tokens', async () => {
    const answer = await fetch(tokenUrl(), {
      method: 'POST',
      headers: { authorization: basicAuth({ client_id: parties.gateway.client_id, client_secret: 'wrong' }), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE, ...subjectParams(ada.tokens.access_token) }),
    });
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: string }).error).toBe('invalid_client');
  });
});
