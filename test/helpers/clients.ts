/** Registers clients through the real CLI and hands back their credentials. */
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
