/**
 * Two (or more) Inkan instances behind one issuer, as a load balancer would present them: the same
 * DATABASE_URL, the same KEY_ENCRYPTION_KEY and the same ISSUER (a name no test resolves), each on
 * its own port. Requests go to one instance by its real address; discovery and the verifier SDK
 * are pointed at one instance by rewriting the issuer prefix, as the load balancer would route.
 */
import crypto from 'node:crypto';
import { expect } from 'vitest';
import { startInkan, testEnv, type TestServer } from '../../helpers/inkan.js';
import { basicAuth, type RegisteredClient } from '../../helpers/clients.js';
import type { ServerOptions } from '../../../src/server.js';

export const CLUSTER_ISSUER = 'http://inkan.cluster.test';

export interface ClusterEnv {
  readonly env: Record<string, string>;
}

/** One environment for every instance of the cluster (each still gets its own folder and port). */
export function clusterEnv(databaseUrl: string, extra: Record<string, string> = {}): ClusterEnv {
  return {
    env: {
      DATABASE_URL: databaseUrl,
      KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'),
      ISSUER: CLUSTER_ISSUER,
      ...extra,
    },
  };
}

export function startInstance(cluster: ClusterEnv, core: ServerOptions = {}): Promise<TestServer> {
  const base = testEnv();
  return startInkan({ testEnv: base, env: cluster.env, core });
}

/** The issuer's URL as it reaches one instance. */
export function routeTo(server: TestServer, url: string): string {
  return url.startsWith(CLUSTER_ISSUER) ? `${server.url}${url.slice(CLUSTER_ISSUER.length)}` : url;
}

/** A fetch that sends everything addressed to the issuer to one instance (the verifier SDK's `fetch`). */
export function fetchVia(server: TestServer): typeof fetch {
  return (input, init) => {
    if (input instanceof Request) return fetch(new Request(routeTo(server, input.url), input), init);
    return fetch(routeTo(server, String(input)), init);
  };
}

/** An endpoint of one instance, found through that instance's discovery document. */
export async function endpointOf(server: TestServer, name: string): Promise<string> {
  const response = await fetch(`${server.url}/.well-known/openid-configuration`);
  const document = (await response.json()) as Record<string, unknown>;
  const url = document[name];
  if (typeof url !== 'string') throw new Error(`discovery does not list ${name}`);
  return routeTo(server, url);
}

export interface FormResponse {
  readonly status: number;
  readonly body: any;
}

export async function postForm(server: TestServer, name: string, form: Record<string, string>, client: RegisteredClient): Promise<FormResponse> {
  const response = await fetch(await endpointOf(server, name), {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a plain error page): keep the text for the assertion message.
  }
  return { status: response.status, body };
}

export async function clientCredentialsToken(server: TestServer, client: RegisteredClient): Promise<string> {
  const response = await postForm(server, 'token_endpoint', { grant_type: 'client_credentials' }, client);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return (response.body as { access_token: string }).access_token;
}

export async function jwksKids(server: TestServer): Promise<string[]> {
  const response = await fetch(await endpointOf(server, 'jwks_uri'));
  expect(response.status).toBe(200);
  return ((await response.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
}

export async function readyStatus(server: TestServer): Promise<number> {
  try {
    return (await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(5000) })).status;
  } catch {
    return 0;
  }
}
