/**
 * RFC 6749 §4.4. The client is the subject; a request without `scope` gets every scope the client
 * was registered with; `resource` (RFC 8707) picks the audience.
 */
import { issueAccessToken, type AccessTokenDeps } from '../tokens/access-token.js';
import { grantScopes } from '../oauth/scopes.js';
import { audienceFor } from '../oauth/resources.js';
import type { Grant } from './grant.js';

export function clientCredentialsGrant(deps: AccessTokenDeps): Grant {
  return {
    grantType: 'client_credentials',
    async handle({ client, params, resources }) {
      const scopes = grantScopes(params.get('scope'), client.scopes, client.scopes);
      const audience = audienceFor(resources, client.resources, deps.issuer);
      const issued = issueAccessToken(deps, { subject: client.clientId, client, scopes, audience });
      return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope };
    },
  };
}
