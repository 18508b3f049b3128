/** Registers clients through the real CLI and hands back their credentials; gets and revokes their tokens. */
import type { TestServer } from './inkan.js';

export interface RegisteredClient {
  readonly client_id: string;
  readonly client_secret?: string;
}

export async function registerClient(server: Pick<TestServer, 'cli'>, args: readonly string[]): Promise<RegisteredClient> {
  const result = await server.cli(['clients', 'create', ...args]);
  if (result.code !== 0) throw new Error(`clients create failed: ${result.stderr}`);
  return result.json<RegisteredClient>();
}

export function basicAuth(client: RegisteredClient): string {
  const encode = (value: string) => encodeURIComponent(value);
  return `Basic ${Buffer.from(`${encode(client.client_id)}:${encode(client.client_secret ?? '')}`).toString('base64')}`;
}

/** The endpoints a client finds in discovery (never by a fixed path). */
export async function discoveredEndpoint(issuer: string, name: 'token_endpoint' | 'revocation_endpoint'): Promise<string> {
  const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  return metadata[name]!;
}

/** A client-credentials access token; `headers` may add a DPoP proof. */
export async function clientCredentialsToken(issuer: string, client: RegisteredClient, params: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(await discoveredEndpoint(issuer, 'token_endpoint'), {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (response.status !== 200 || body.access_token === undefined) throw new Error(`token request answered ${response.status} ${body.error ?? ''}`);
  return body.access_token;
}

/** RFC 7009: revokes a token as its client. */
export async function revokeToken(issuer: string, client: RegisteredClient, token: string): Promise<void> {
  const response = await fetch(await discoveredEndpoint(issuer, 'revocation_endpoint'), {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  if (response.status !== 200) throw new Error(`revocation answered ${response.status}`);
}
