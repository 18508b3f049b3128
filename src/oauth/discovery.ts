/**
 * The discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414 §2), listing only what this
 * build of Inkan really does. Endpoint paths live here, in one place; clients find them through
 * this document, never by a fixed path.
 */
import { SIGNING_ALGS } from '../storage/stores.js';

export const ENDPOINT_PATHS = {
  jwks: '/jwks',
  token: '/token',
} as const;

export interface DiscoveryCapabilities {
  readonly grantTypes: readonly string[];
  readonly tokenEndpointAuthMethods: readonly string[];
}

export function discoveryDocument(issuer: string, capabilities: DiscoveryCapabilities): Record<string, unknown> {
  const url = (path: string) => `${issuer}${path}`;
  return {
    issuer,
    jwks_uri: url(ENDPOINT_PATHS.jwks),
    token_endpoint: url(ENDPOINT_PATHS.token),
    grant_types_supported: capabilities.grantTypes,
    token_endpoint_auth_methods_supported: capabilities.tokenEndpointAuthMethods,
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    id_token_signing_alg_values_supported: SIGNING_ALGS,
    subject_types_supported: ['public'],
    response_types_supported: [],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'scope'],
  };
}
