/**
 * The discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414 §2), listing only what this
 * build of Inkan really does. Endpoint paths live here, in one place; clients find them through
 * this document, never by a fixed path.
 */
import { SIGNING_ALGS } from '../storage/stores.js';

export const ENDPOINT_PATHS = {
  jwks: '/jwks',
  token: '/token',
  revocation: '/revoke',
  introspection: '/introspect',
  authorization: '/authorize',
  userinfo: '/userinfo',
  endSession: '/end-session',
  login: '/login',
  consent: '/consent',
  revocationFeed: '/revocations/feed',
  statusLists: '/status-lists',
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
    revocation_endpoint: url(ENDPOINT_PATHS.revocation),
    revocation_endpoint_auth_methods_supported: capabilities.tokenEndpointAuthMethods,
    introspection_endpoint: url(ENDPOINT_PATHS.introspection),
    introspection_endpoint_auth_methods_supported: capabilities.tokenEndpointAuthMethods,
    authorization_endpoint: url(ENDPOINT_PATHS.authorization),
    userinfo_endpoint: url(ENDPOINT_PATHS.userinfo),
    end_session_endpoint: url(ENDPOINT_PATHS.endSession),
    // Inkan's push feed of revocations for resource servers (issue 7; see revocation/feed.ts).
    revocation_feed_endpoint: url(ENDPOINT_PATHS.revocationFeed),
    grant_types_supported: capabilities.grantTypes,
    token_endpoint_auth_methods_supported: capabilities.tokenEndpointAuthMethods,
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    id_token_signing_alg_values_supported: SIGNING_ALGS,
    subject_types_supported: ['public'],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    claims_parameter_supported: false,
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'scope', 'auth_time', 'nonce', 'at_hash', 'sid', 'name', 'email', 'email_verified'],
  };
}
