/**
 * Client authentication (RFC 6749 §2.3): the HTTP layer extracts what the client presented into
 * `PresentedCredentials`; this module decides whether it authenticates a registered client.
 * Every failure is the same `invalid_client`, so a response never tells an unknown client from a
 * wrong secret. A `private_key_jwt` assertion is checked by oauth/client-assertion.ts; the secret
 * path stays as it was (one string comparison more).
 *
 * A `federated` client (federation/) presents the same RFC 7523 §2.2 form fields, but its JWT comes
 * from a foreign issuer: its `sub` is the workload's name there, not a client_id, so such a request
 * must name the client with `client_id` (RFC 7523 §3 leaves the client's identity to `client_id`
 * when the assertion's `sub` is not it). A JWT assertion whose `client_id` names a federated
 * client goes to the federated verifier; any other goes to the private_key_jwt rules, which keep
 * requiring that a `client_id`, when sent, be the assertion's own.
 */
import type { ClientRecord, ClientStore } from '../storage/clients.js';
import { secretMatches } from '../tokens/secrets.js';
import type { RequestOrigin } from '../audit/audit-log.js';
import { invalidClient, OAuthError } from './errors.js';
import type { ClientAssertionVerifier } from './client-assertion.js';

export type PresentedCredentials =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly clientId: string; readonly secret: string }
  | { readonly method: 'none'; readonly clientId: string }
  /**
   * RFC 7523 §2.2: the same assertion rules at every endpoint (oauth/client-assertion.ts, or
   * federation/ for a federated client). `clientId` is the form's `client_id` when sent, else the
   * client the assertion claims (`assertedClientId`).
   */
  | { readonly method: 'private_key_jwt'; readonly clientId: string; readonly assertion: string; readonly assertedClientId: string };

/** Checks a federated client's JWT from its foreign issuer (federation/federated-assertion.ts); declared here, by its caller. */
export interface FederatedAssertionVerifier {
  /** Resolves when `assertion` authenticates the federated `client`; otherwise invalid_client. */
  verify(client: ClientRecord, assertion: string, origin?: RequestOrigin): Promise<void>;
}

export interface ClientAuthenticator {
  /** `origin` (request id, client address) goes to the audit lines of federated authentication. */
  authenticate(presented: PresentedCredentials | undefined, origin?: RequestOrigin): Promise<ClientRecord>;
}

export function clientAuthenticator(
  clients: Pick<ClientStore, 'find'>,
  assertions?: ClientAssertionVerifier,
  federated?: FederatedAssertionVerifier,
): ClientAuthenticator {
  return {
    async authenticate(presented, origin) {
      if (presented === undefined) throw invalidClient('client authentication is required');
      const client = await clients.find(presented.clientId);
      if (presented.method === 'none') {
        if (client === undefined || client.authMethod !== 'none') throw invalidClient('client authentication failed');
        return client;
      }
      if (presented.method === 'private_key_jwt') {
        if (client?.authMethod === 'federated') {
          if (federated === undefined) throw invalidClient('client authentication failed');
          await federated.verify(client, presented.assertion, origin);
          return client;
        }
        if (presented.clientId !== presented.assertedClientId) throw invalidClient('client_id does not match the client assertion');
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
