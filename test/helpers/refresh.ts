/**
 * Fixtures for the refresh/revocation/introspection tests: a movable clock, users and sessions
 * written through the server's own stores, refresh families started in-process through
 * `server.deps.refreshTokens.startFamily` (exactly what the authorization-code grant calls), and
 * small HTTP helpers for the token, revocation and introspection endpoints. People, sessions and
 * families need only `deps`, so the tests without a server (test/helpers/deps.ts) use them too.
 */
import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import type { Clock } from '../../src/clock.js';
import type { Deps } from '../../src/deps.js';
import type { ClientRecord } from '../../src/storage/clients.js';
import { basicAuth, registerClient, type RegisteredClient } from './clients.js';
import type { TestServer } from './inkan.js';
import { recordSecrets, recordTokenResponse } from './secrets.js';

/** Real time plus an offset the test moves forward. */
export class MovableClock implements Clock {
  offsetSeconds = 0;
  nowSeconds(): number {
    return Math.floor(Date.now() / 1000) + this.offsetSeconds;
  }
  advance(seconds: number): void {
    this.offsetSeconds += seconds;
  }
}

export const APP_SCOPE = 'openid profile email offline_access api';

export interface AppClient extends RegisteredClient {
  readonly record: ClientRecord;
}

export async function registerApp(server: TestServer, extra: readonly string[] = []): Promise<AppClient> {
  const client = await registerClient(server, [
    '--name', 'app',
    '--grant-types', 'authorization_code,refresh_token',
    '--redirect-uris', 'https://app.example.com/cb',
    '--scope', APP_SCOPE,
    ...extra,
  ]);
  const record = await server.deps.stores.clients.find(client.client_id);
  if (record === undefined) throw new Error('the registered client is not in the store');
  return { ...client, record };
}

export interface Person {
  readonly id: string;
  readonly email: string;
}

export async function createPerson(server: { readonly deps: Pick<Deps, 'stores' | 'clock'> }, email = `${crypto.randomUUID()}@example.com`): Promise<Person> {
  const id = crypto.randomUUID();
  await server.deps.stores.users.insert({
    id,
    email,
    name: 'Ada Example',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    disabledAt: null,
    createdAt: server.deps.clock.nowSeconds(),
  });
  return { id, email };
}

/** A login session (one device) of the person, as the login flow would create it. */
export async function createSession(server: { readonly deps: Pick<Deps, 'stores' | 'clock'> }, person: Person): Promise<string> {
  const sid = crypto.randomBytes(16).toString('base64url');
  const now = server.deps.clock.nowSeconds();
  await server.deps.stores.sessions.insert({
    id: sid,
    secretHash: crypto.createHash('sha256').update(crypto.randomBytes(32)).digest('hex'),
    userId: person.id,
    authTime: now,
    authMethods: ['pwd'],
    createdAt: now,
    expiresAt: now + 3600,
    endedAt: null,
  });
  return sid;
}

export interface Login {
  readonly person: Person;
  readonly sid: string;
  readonly refreshToken: string;
}

/** What the authorization-code grant does at the end of a login with offline_access. */
export async function startFamily(
  server: Pick<TestServer, 'deps'>,
  client: Pick<AppClient, 'record'>,
  options: {
    person?: Person;
    sid?: string;
    scopes?: readonly string[];
    /** Binds the family to a DPoP key. */ dpopJkt?: string;
    /** The login's RFC 8176 methods and acr (default: a password sign-in). */
    authMethods?: readonly ('pwd' | 'otp' | 'hwk' | 'swk' | 'user')[];
    acr?: string;
  } = {},
): Promise<Login> {
  const person = options.person ?? (await createPerson(server));
  const sid = options.sid ?? (await createSession(server, person));
  const refreshToken = await server.deps.refreshTokens.startFamily({
    client: client.record,
    userId: person.id,
    sessionId: sid,
    scopes: options.scopes ?? APP_SCOPE.split(' '),
    authTime: server.deps.clock.nowSeconds(),
    ...(options.dpopJkt === undefined ? {} : { dpopJkt: options.dpopJkt }),
    ...(options.authMethods === undefined ? {} : { authMethods: options.authMethods }),
    ...(options.acr === undefined ? {} : { acr: options.acr }),
  });
  recordSecrets(refreshToken);
  return { person, sid, refreshToken };
}

export async function oidcConfig(server: TestServer, client: RegisteredClient): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(server.issuer), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

export type EndpointName = 'token_endpoint' | 'revocation_endpoint' | 'introspection_endpoint';
const discovered = new Map<string, Record<string, unknown>>();

/** Endpoints are found through discovery, as a client would. */
export async function endpoint(server: TestServer, name: EndpointName): Promise<string> {
  let document = discovered.get(server.issuer);
  if (document === undefined) {
    document = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    discovered.set(server.issuer, document);
  }
  const url = document[name];
  if (typeof url !== 'string') throw new Error(`discovery does not list ${name}`);
  return url;
}

/** POSTs a form to an endpoint with the client's Basic credentials (a public client sends client_id). */
export async function postForm(
  server: TestServer,
  name: EndpointName,
  params: Record<string, string>,
  client?: RegisteredClient,
): Promise<JsonResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client?.client_secret !== undefined) headers.authorization = basicAuth(client);
  const form = client !== undefined && client.client_secret === undefined ? { ...params, client_id: client.client_id } : params;
  const response = await fetch(await endpoint(server, name), { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  const text = await response.text();
  const body = text === '' ? undefined : JSON.parse(text);
  recordTokenResponse(body);
  return { status: response.status, headers: response.headers, body };
}

export const refresh = (server: TestServer, client: RegisteredClient, refreshToken: string, extra: Record<string, string> = {}) =>
  postForm(server, 'token_endpoint', { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, client);

export const introspect = (server: TestServer, client: RegisteredClient, token: string, extra: Record<string, string> = {}) =>
  postForm(server, 'introspection_endpoint', { token, ...extra }, client);

export const revoke = (server: TestServer, client: RegisteredClient, token: string, extra: Record<string, string> = {}) =>
  postForm(server, 'revocation_endpoint', { token, ...extra }, client);
