/**
 * What the token-exchange flows share: a server with a web app (where a person signs in with
 * openid-client), a gateway and an orders API registered for the token-exchange grant, a person's
 * access token from the real authorization-code flow, raw RFC 8693 form posts, a relying party's
 * check of a token against the published JWKS, and access tokens minted with the server's own
 * keyring for the claims no Inkan grant issues by itself (`may_act`, a short or past lifetime).
 */
import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { TestServer } from '../../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { createUser, HttpBrowser, openidCodeFlow } from '../../helpers/people.js';
import { postForm, type Answer } from '../../helpers/asymmetric.js';
import { recordSecrets, recordTokenResponse } from '../../helpers/secrets.js';
import { issueAccessToken } from '../../../src/tokens/access-token.js';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const ORDERS = 'https://orders.example.com';
export const INVENTORY = 'https://inventory.example.com';
export const REDIRECT = 'http://127.0.0.1:9/callback';
export const WEB_SCOPE = 'openid email offline_access orders:read orders:write';
export const PASSWORD = 'analytical-engine-1843';

export interface Parties {
  /** Where people sign in: authorization_code and refresh_token, not token exchange. */
  readonly web: RegisteredClient;
  /** Exchanges people's tokens for the orders API: resources ORDERS; scope orders:read orders:write inventory:read. */
  readonly gateway: RegisteredClient;
  /** The orders API, which calls the inventory API on the person's behalf: resources ORDERS and INVENTORY. */
  readonly ordersApi: RegisteredClient;
  readonly webConfig: oidc.Configuration;
}

export async function registerParties(server: TestServer): Promise<Parties> {
  const [web, gateway, ordersApi] = await Promise.all([
    registerClient(server, [
      '--name', 'web', '--grant-types', 'authorization_code,refresh_token', '--redirect-uris', REDIRECT,
      '--post-logout-redirect-uris', 'http://127.0.0.1:9/bye', '--scope', WEB_SCOPE, '--skip-consent',
    ]),
    registerClient(server, [
      '--name', 'gateway', '--grant-types', TOKEN_EXCHANGE, '--scope', 'orders:read orders:write inventory:read', '--resources', ORDERS,
    ]),
    registerClient(server, [
      '--name', 'orders-api', '--grant-types', `${TOKEN_EXCHANGE},client_credentials`, '--scope', 'orders:read inventory:read',
      '--resources', `${ORDERS},${INVENTORY}`,
    ]),
  ]);
  const webConfig = await oidc.discovery(new URL(server.issuer), web.client_id, undefined, oidc.ClientSecretBasic(web.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
  return { web, gateway, ordersApi, webConfig };
}

export interface SignedIn {
  readonly person: { readonly id: string; readonly email: string };
  readonly browser: HttpBrowser;
  readonly tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
}

/** A new person signs in at the web app (Inkan's pages, openid-client): their access token is the subject token. */
export async function signInPerson(server: TestServer, parties: Parties): Promise<SignedIn> {
  const person = await createUser(server, `${crypto.randomUUID()}@example.com`, PASSWORD);
  const browser = new HttpBrowser(server.issuer);
  const tokens = await openidCodeFlow(parties.webConfig, browser, { redirectUri: REDIRECT, scope: WEB_SCOPE, email: person.email, password: PASSWORD });
  return { person, browser, tokens };
}

/** An RFC 8693 request as a raw form post with the client's Basic credentials. */
export async function exchange(server: TestServer, client: RegisteredClient, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const answer = await postForm(`${server.issuer}/token`, { grant_type: TOKEN_EXCHANGE, ...params }, { authorization: basicAuth(client), ...headers });
  recordTokenResponse(answer.body);
  return answer;
}

/** The usual request: this subject token, as an access token, for `resource` when given. */
export function subjectParams(subjectToken: string, extra: Record<string, string> = {}): Record<string, string> {
  return { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE, ...extra };
}

/** The token's claims, checked as a relying party checks them: Inkan's JWKS over HTTP, issuer, typ, expiry, and audience. */
export async function relyingPartyClaims(server: TestServer, token: string, audience: string): Promise<JWTPayload & Record<string, unknown>> {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer, audience, typ: 'at+jwt' });
  return payload;
}

/**
 * An access token signed by the server's keyring for one of its clients, with claims a grant would
 * not give (`may_act`, `cnf`), and a lifetime of `ttlSeconds` from `issuedSecondsAgo` ago.
 */
export async function mintedAccessToken(
  server: TestServer,
  client: RegisteredClient,
  options: { subject: string; scopes: readonly string[]; extraClaims?: Record<string, unknown>; ttlSeconds?: number; issuedSecondsAgo?: number; audience?: string },
): Promise<string> {
  const record = await server.deps.stores.clients.find(client.client_id);
  if (record === undefined) throw new Error('no such client');
  const now = server.deps.clock.nowSeconds() - (options.issuedSecondsAgo ?? 0);
  const issued = issueAccessToken(
    { keyring: server.deps.keyring, clock: { nowSeconds: () => now }, issuer: server.issuer, accessTokenTtlSeconds: options.ttlSeconds ?? 300 },
    { subject: options.subject, client: record, scopes: options.scopes, audience: options.audience ?? server.issuer, ...(options.extraClaims === undefined ? {} : { extraClaims: options.extraClaims }) },
  );
  recordSecrets(issued.token);
  return issued.token;
}
