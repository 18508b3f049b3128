/**
 * The discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414 §2), listing only what this
 * build of Inkan really does. Endpoint paths live here, in one place; clients find them through
 * this document, never by a fixed path.
 */
import { SUPPORTED_LOCALES } from '../i18n/locales.js';
import { ASSERTION_ALGS } from './client-assertion.js';
import { DPOP_ALGS } from '@inkan/verifier/protocol';
import { SIGNING_ALGS } from '../storage/keys.js';
import { USER_CLAIMS } from './claims.js';
import { FEED_SCOPE, SSF_SCOPE } from './scopes.js';
import { ACR_VALUES } from './authentication-context.js';

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
  account: '/account',
  // RFC 8628: the device endpoint, the verification page (verification_uri) and where it ends.
  deviceAuthorization: '/device/authorization',
  deviceVerification: '/device',
  deviceDone: '/device/done',
  revocationFeed: '/revocations/feed',
  statusLists: '/status-lists',
  // The Shared Signals transmitter (shared-signals/): its configuration document lists these.
  ssfStreams: '/ssf/streams',
  ssfStatus: '/ssf/status',
  ssfVerification: '/ssf/verify',
  ssfPoll: '/ssf/poll',
} as const;

/**
 * The path a browser is sent to for one of Inkan's pages. Behind a reverse proxy the issuer may
 * have a path (`https://example.com/idp`) that the proxy strips before Inkan sees the request, so
 * redirects and form actions carry the issuer's path in front of Inkan's own.
 */
export function browserPath(issuer: string, path: string): string {
  return `${new URL(issuer).pathname.replace(/\/$/, '')}${path}`;
}

export interface DiscoveryCapabilities {
  readonly grantTypes: readonly string[];
  /** How a confidential client authenticates (the same at the token, revocation and introspection endpoints). */
  readonly tokenEndpointAuthMethods: readonly string[];
}

export function discoveryDocument(issuer: string, capabilities: DiscoveryCapabilities): Record<string, unknown> {
  const url = (path: string) => `${issuer}${path}`;
  // Public clients (`none`: a bare client_id) use the token endpoint for the code and refresh
  // grants and may revoke their own tokens (RFC 7009 §2.1); introspection answers only
  // confidential clients (client-tokens/introspection.ts).
  const confidential = capabilities.tokenEndpointAuthMethods;
  const withPublic = [...confidential.filter((method) => method !== 'none'), 'none'];
  return {
    issuer,
    jwks_uri: url(ENDPOINT_PATHS.jwks),
    token_endpoint: url(ENDPOINT_PATHS.token),
    revocation_endpoint: url(ENDPOINT_PATHS.revocation),
    revocation_endpoint_auth_methods_supported: withPublic,
    introspection_endpoint: url(ENDPOINT_PATHS.introspection),
    introspection_endpoint_auth_methods_supported: confidential.filter((method) => method !== 'none'),
    authorization_endpoint: url(ENDPOINT_PATHS.authorization),
    userinfo_endpoint: url(ENDPOINT_PATHS.userinfo),
    end_session_endpoint: url(ENDPOINT_PATHS.endSession),
    // RFC 8628 §4: the device authorization endpoint (login/device-authorization.ts).
    device_authorization_endpoint: url(ENDPOINT_PATHS.deviceAuthorization),
    // OpenID Connect Back-Channel Logout 1.0 §2.1: logout tokens to clients' backchannel_logout_uri,
    // always with sid (backchannel-logout/).
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    // Inkan's push feed of revocations for resource servers (see revocation/feed.ts).
    revocation_feed_endpoint: url(ENDPOINT_PATHS.revocationFeed),
    grant_types_supported: capabilities.grantTypes,
    token_endpoint_auth_methods_supported: withPublic,
    // private_key_jwt (oauth/client-assertion.ts) and DPoP (oauth/dpop.ts): asymmetric algs only.
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    dpop_signing_alg_values_supported: DPOP_ALGS,
    scopes_supported: ['openid', 'profile', 'email', 'offline_access', FEED_SCOPE, SSF_SCOPE],
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
    // The claims of ID tokens and userinfo (access-token claims are RFC 9068's, not listed here).
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'amr', 'acr', 'nonce', 'at_hash', 'sid', ...USER_CLAIMS],
    // oauth/authentication-context.ts: a password; a second factor or a passkey; a passkey.
    acr_values_supported: ACR_VALUES,
    // OIDC Discovery §3: the languages of the pages (i18n/locales.ts), chosen by ui_locales (Core §3.1.2.1).
    ui_locales_supported: SUPPORTED_LOCALES,
  };
}
