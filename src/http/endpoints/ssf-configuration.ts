/**
 * GET /.well-known/ssf-configuration: the Transmitter Configuration Metadata of OpenID Shared
 * Signals Framework 1.0 §7.1, public like discovery. It lists what the CAEP interoperability
 * profile requires (spec_version, jwks_uri, delivery methods, the configuration, status and
 * verification endpoints, authorization_schemes with OAuth 2.0) and `default_subjects` ALL: every
 * person's events go on every stream, so there are no add/remove subject endpoints. SSF defines
 * no pointer from OIDC discovery; the scope `ssf` is listed there in `scopes_supported`.
 */
import { ENDPOINT_PATHS } from '../../oauth/discovery.js';
import { DELIVERY_METHODS, SSF_SPEC_VERSION } from '../../shared-signals/vocabulary.js';
import type { KoaHandler } from '../route.js';

/** SSF 1.0 §7.2: inserted between the issuer's host and its path. */
export function ssfConfigurationPath(issuer: string): string {
  return `/.well-known/ssf-configuration${new URL(issuer).pathname.replace(/\/$/, '')}`;
}

export function ssfConfigurationDocument(issuer: string): Record<string, unknown> {
  const url = (path: string) => `${issuer}${path}`;
  return {
    spec_version: SSF_SPEC_VERSION,
    issuer,
    jwks_uri: url(ENDPOINT_PATHS.jwks),
    delivery_methods_supported: DELIVERY_METHODS,
    configuration_endpoint: url(ENDPOINT_PATHS.ssfStreams),
    status_endpoint: url(ENDPOINT_PATHS.ssfStatus),
    verification_endpoint: url(ENDPOINT_PATHS.ssfVerification),
    authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
    default_subjects: 'ALL',
  };
}

export function ssfConfigurationEndpoint(issuer: string): KoaHandler {
  const body = JSON.stringify(ssfConfigurationDocument(issuer));
  return (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = 'application/json';
    ctx.body = body;
  };
}
