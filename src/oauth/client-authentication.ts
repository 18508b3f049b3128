/**
 * Client authentication (RFC 6749 §2.3): the HTTP layer extracts what the client presented into
 * `PresentedCredentials`; this module decides whether it authenticates a registered client.
 * Every failure is the same `invalid_client`, so a response never tells an unknown client from a
 * wrong secret. A `private_key_jwt` assertion is checked by oauth/client-assertion.ts; the secret
 * path stays as it was (one string comparison more).
 */
import type { ClientRecord, ClientStore } from '../storage/clients.js';
import { secretMatches } from '../tokens/secrets.js';
import { invalidClient, OAuthError } from './errors.js';
import type { ClientAssertionVerifier } from './client-assertion.js';

export type PresentedCredentials =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly clientId: string; readonly secret: string }
  | { readonly method: 'none'; readonly clientId: string }
  /** RFC 7523 §2.2: the same assertion rules at every endpoint (oauth/client-assertion.ts). */
  | { readonly method: 'private_key_jwt'; readonly clientId: string; readonly assertion: string };

export interface ClientAuthenticator {
  authenticate(presented: PresentedCredentials | undefined): Promise<ClientRecord>;
}

export function clientAuthenticator(clients: Pick<ClientStore, 'find'>, assertions?: ClientAssertionVerifier): ClientAuthenticator {
  return {
    async authenticate(presented) {
      if (presented === undefined) throw invalidClient('client authentication is required');
      const client = await clients.find(presented.clientId);
      if (presented.method === 'none') {
        if (client === undefined || client.authMethod !== 'none') throw invalidClient('client authentication failed');
        return client;
      }
      if (presented.method === 'private_key_jwt') {
        if (client === undefined || assertions === undefined) throw invalidClient('client authentication failed');
        await assertions.verify(client, presented.assertion);
        return client;
      }
      // Hash and compare even for an unknown client, so the answer takes the same time.
      const matches = secretMatches(presented.secret, client?.secretHash ?? null);
      if (client === undefined || !matches) throw invalidClient('client authentication failed');
      if (client.authMethod !== presented.method) {
        throw invalidClient(`this client is registered for ${client.authMethod}`);
      }
      return client;
    },
  };
}

/** RFC 6749 §2.3: a client must not use more than one authentication method in a request. */
export function oneMethodOnly(methods: number): void {
  if (methods > 1) throw new OAuthError('invalid_request', 'the client used more than one authentication method');
}
