/**
 * Resource indicators (RFC 8707): the audience of an access token. A requested resource must be an
 * absolute URI without fragment and one of the client's registered resources; without one, the
 * token is for Inkan itself (its `aud` is the issuer, which the userinfo endpoint accepts).
 */
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
