/**
 * The public keys of a private_key_jwt client: the JWK Set it registered (`--jwks-file`), or the
 * one it publishes at its `jwks_uri` (`--jwks-uri`), which Inkan fetches and caches with the
 * limits and cooldowns of clients/remote-documents.ts (timeout, size, no redirects, max-age, one
 * refetch per cooldown for an unknown kid, failures remembered). This is the `ClientKeySource`
 * that oauth/client-assertion.ts asks for the keys an assertion may verify with.
 */
import type { JWK } from 'jose';
import type { ClientKeySource } from '../oauth/client-assertion.js';
import { RemoteDocumentError, remoteDocuments, type RemoteDocuments, type RemoteDocumentsDeps } from './remote-documents.js';

/** Only public keys, as objects: a set holding anything else is refused whole. */
export function publicKeysOf(value: unknown): JWK[] {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new RemoteDocumentError('the JWK Set has no "keys" array');
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || typeof (key as JWK).kty !== 'string') throw new RemoteDocumentError('a JWK Set entry is not a JWK');
    if ('d' in key || 'k' in key || 'p' in key) throw new RemoteDocumentError('the JWK Set holds private key material');
  }
  return keys as JWK[];
}

/** JWK Sets at URLs, fetched and cached by the rules of remote-documents.ts; `what` names the URL in messages. */
export function remoteJwkSets(deps: RemoteDocumentsDeps, what = 'the jwks_uri'): RemoteDocuments<readonly JWK[]> {
  return remoteDocuments(deps, { what, purpose: 'jwks_uri', accept: 'application/jwk-set+json, application/json', parse: publicKeysOf });
}

export function clientKeySource(deps: RemoteDocumentsDeps): ClientKeySource & { fetchCount(): number } {
  const sets = remoteJwkSets(deps);
  return {
    async keys(client, options = {}) {
      if (client.jwks !== null) return client.jwks.keys;
      if (client.jwksUri != null) return sets.get(client.jwksUri, { refresh: options.refresh === true });
      return [];
    },
    fetchCount: () => sets.fetchCount(),
  };
}
