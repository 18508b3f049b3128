/**
 * Resource indicators (RFC 8707): the audience of an access token. A requested resource must be an
 * absolute URI without fragment and one of the client's registered resources; without one, the
 * token is for Inkan itself (its `aud` is the issuer, which the userinfo endpoint accepts).
 * Also who a token is for, seen from a client (`isTokenFor`): introspection and token exchange ask.
 */
import type { ClientRecord } from '../storage/clients.js';
import { OAuthError } from './errors.js';

export function isResourceUri(value: string): boolean {
  if (value.includes('#')) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

export function audienceFor(requested: readonly string[], allowed: readonly string[], issuer: string): string | string[] {
  if (requested.length === 0) return issuer;
  for (const resource of requested) {
    if (!isResourceUri(resource)) {
      throw new OAuthError('invalid_target', 'resource must be an absolute URI without a fragment');
    }
    if (!allowed.includes(resource)) {
      throw new OAuthError('invalid_target', `the client may not request the resource ${JSON.stringify(resource)}`);
    }
  }
  const unique = [...new Set(requested)];
  return unique.length === 1 ? unique[0]! : unique;
}

/** A token's audiences: `aud` is one string or an array of them (RFC 7519 §4.1.3). */
export function audiencesOf(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((value): value is string => typeof value === 'string') : [];
}

/**
 * Whether the token is the client's business: it was issued to the client (its `client_id`), or
 * one of its audiences is a resource the client is registered with (the client is a resource
 * server the token is meant for).
 */
export function isTokenFor(client: Pick<ClientRecord, 'clientId' | 'resources'>, claims: { readonly client_id: string; readonly aud?: unknown }): boolean {
  if (claims.client_id === client.clientId) return true;
  return audiencesOf(claims.aud).some((audience) => client.resources.includes(audience));
}
