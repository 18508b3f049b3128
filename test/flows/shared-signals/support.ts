/**
 * An OpenID Shared Signals receiver, written from the specs for these tests: it discovers the
 * transmitter (SSF 1.0 §7), authenticates with an Inkan access token carrying the scope `ssf`,
 * manages its streams over HTTP, and takes RFC 8935 pushes on its own HTTP server on 127.0.0.1,
 * answering 202, or a programmed failure first. Every SET it gets is verified like a receiver
 * does: jose `createRemoteJWKSet` on the transmitter's `jwks_uri`, `typ: secevent+jwt`, `iss`
 * the transmitter's issuer, `aud` the stream's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { recordSecrets } from '../../helpers/secrets.js';
import type { CliResult } from '../../helpers/inkan.js';

export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
export const ACCOUNT_DISABLED = 'https://schemas.openid.net/secevent/risc/event-type/account-disabled';
export const ACCOUNT_ENABLED = 'https://schemas.openid.net/secevent/risc/event-type/account-enabled';
export const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
export const ALL_EVENTS = [SESSION_REVOKED, CREDENTIAL_CHANGE, ACCOUNT_DISABLED, ACCOUNT_ENABLED];
export const PUSH = 'urn:ietf:rfc:8935';
export const POLL = 'urn:ietf:rfc:8936';

export interface SsfConfiguration {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly configuration_endpoint: string;
  readonly status_endpoint: string;
  readonly verification_endpoint: string;
  readonly [name: string]: unknown;
}

export interface Set {
  readonly jwt: string;
  readonly header: { readonly typ?: string; readonly kid?: string; readonly alg: string };
  readonly claims: JWTPayload & { sub_id?: Record<string, unknown>; events?: Record<string, Record<string, unknown>>; txn?: string };
  /** The one event type of the SET. */
  readonly type: string;
}

export interface Receiver {
  readonly client: RegisteredClient;
  readonly config: SsfConfiguration;
  token(): Promise<string>;
  /** A management request as the receiver: JSON in and out. */
  call(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown; headers: Headers }>;
  /** Verifies a SET as a receiver must, for a stream whose `aud` is `audience`. */
  verify(jwt: string, audience: string): Promise<Set>;
}

export async function ssfConfiguration(issuer: string): Promise<SsfConfiguration> {
  const response = await fetch(`${issuer}/.well-known/ssf-configuration`);
  if (response.status !== 200) throw new Error(`ssf-configuration answered ${response.status}`);
  return (await response.json()) as SsfConfiguration;
}

export async function receiver(server: { issuer: string; cli(args: readonly string[], stdin?: string): Promise<CliResult> }, name = 'receiver'): Promise<Receiver> {
  const client = await registerClient(server, ['--name', name, '--grant-types', 'client_credentials', '--scope', 'ssf']);
  const config = await ssfConfiguration(server.issuer);
  const jwks = createRemoteJWKSet(new URL(config.jwks_uri));
  const token = async () => {
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    const body = (await response.json()) as { access_token: string };
    recordSecrets(body.access_token);
    return body.access_token;
  };
  return {
    client,
    config,
    token,
    async call(method, url, body, bearer) {
      const headers: Record<string, string> = {};
      if (bearer !== '') headers.authorization = `Bearer ${bearer ?? (await token())}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown), headers: response.headers };
    },
    async verify(jwt, audience) {
      const { payload, protectedHeader } = await jwtVerify(jwt, jwks, { issuer: config.issuer, audience, typ: 'secevent+jwt' });
      const claims = payload as Set['claims'];
      return { jwt, header: protectedHeader as Set['header'], claims, type: Object.keys(claims.events ?? {})[0] ?? '' };
    },
  };
}

/** An RFC 8935 push endpoint on 127.0.0.1: records every request; answers `failures` 500s first, then 202. */
export interface PushEndpoint {
  readonly url: string;
  /** Every body received with its Authorization header, in order, failures included. */
  readonly received: { readonly body: string; readonly authorization: string | undefined; readonly contentType: string | undefined; readonly status: number }[];
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function pushEndpoint(path = '/events'): Promise<PushEndpoint> {
  let failures = 0;
  const received: PushEndpoint['received'][number][] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = req.url === path && req.method === 'POST' ? (failures > 0 ? 500 : 202) : 404;
      if (status === 500) failures -= 1;
      received.push({ body: Buffer.concat(chunks).toString('utf8'), authorization: req.headers.authorization, contentType: req.headers['content-type'], status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    received,
    failNext(count) {
      failures = count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
