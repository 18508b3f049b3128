/**
 * RFC 6749 §4.4. The client is the subject; a request without `scope` gets every scope the client
 * was registered with; `resource` (RFC 8707) picks the audience. With a DPoP proof the token is
 * bound to its key (`cnf.jkt`, RFC 9449 §6).
 */
import { issueAccessToken, type AccessTokenDeps } from '../tokens/access-token.js';
import { grantScopes } from '../oauth/scopes.js';
import { audienceFor } from '../oauth/resources.js';
import type { IssuanceObserver } from '../audit/token-issuance.js';
import type { Grant } from './grant.js';

export function clientCredentialsGrant(deps: AccessTokenDeps, observer?: IssuanceObserver): Grant {
  return {
    grantType: 'client_credentials',
    async handle({ client, params, resources, requestId, clientAddress, dpop }) {
      const scopes = grantScopes(params.get('scope'), client.scopes, client.scopes);
      const audience = audienceFor(resources, client.resources, deps.issuer);
      const issued =
        dpop === undefined
          ? issueAccessToken(deps, { subject: client.clientId, client, scopes, audience })
          : issueAccessToken(deps, { subject: client.clientId, client, scopes, audience, extraClaims: { cnf: { jkt: dpop.jkt } } });
      observer?.tokenIssued({ grantType: 'client_credentials', client, sub: client.clientId, jti: issued.jti, requestId, clientAddress });
      return { access_token: issued.token, token_type: dpop === undefined ? 'Bearer' : 'DPoP', expires_in: issued.expiresIn, scope: issued.scope };
    },
  };
}
