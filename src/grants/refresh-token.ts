/**
 * RFC 6749 §6, the refresh_token grant. The token endpoint already authenticated the client and
 * checked it is registered for this grant; the refresh-token policy (rotation, reuse detection,
 * grace window, expiry, scope narrowing) is refresh/service.ts. This grant turns its answer into
 * tokens: a new RFC 9068 access token with `sid`, `auth_time`, `amr` and `acr` of the original login, the
 * successor refresh token, and — when `openid` is in the (narrowed) scope — a new ID token (OpenID
 * Connect Core §12.2: same sub, auth_time, amr and acr, no nonce). With a DPoP proof the new access token is
 * bound to its key; a family bound to a key (RFC 9449 §5) needs a proof of that key (checked by
 * the service before the token is consumed).
 */
import { OAuthError } from '../oauth/errors.js';
import { audienceFor } from '../oauth/resources.js';
import { acrClaim, parseMethods } from '../oauth/authentication-context.js';
import type { RefreshTokenService } from '../refresh/service.js';
import type { AccessTokenDeps } from '../tokens/access-token.js';
import type { IdTokenDeps } from '../tokens/id-token.js';
import type { IssuanceObserver } from '../audit/token-issuance.js';
import type { Grant, TokenResponse } from './grant.js';
import { issuePersonAccessToken, issuePersonIdToken, personTokenResponse, type PersonLogin } from './person-tokens.js';

export interface RefreshTokenGrantDeps {
  readonly tokens: AccessTokenDeps;
  readonly idTokens: IdTokenDeps;
  readonly refreshTokens: Pick<RefreshTokenService, 'rotate'>;
  readonly observer?: IssuanceObserver;
}

/** Longer than any token Inkan issues; anything longer is refused before hashing. */
const MAX_REFRESH_TOKEN_LENGTH = 200;

export function refreshTokenGrant(deps: RefreshTokenGrantDeps): Grant {
  return {
    grantType: 'refresh_token',
    async handle({ client, params, resources, requestId, clientAddress, dpop }): Promise<TokenResponse> {
      const presented = params.get('refresh_token');
      if (presented === undefined) throw new OAuthError('invalid_request', 'refresh_token is required');
      if (presented.length > MAX_REFRESH_TOKEN_LENGTH) throw new OAuthError('invalid_grant', 'the refresh token is invalid');
      // Checked before the rotation, so a bad resource does not cost the client its token.
      const audience = audienceFor(resources, client.resources, deps.tokens.issuer);
      const refreshed = await deps.refreshTokens.rotate(presented, client, params.get('scope'), dpop?.jkt, { requestId, address: clientAddress });
      const { family, user, scopes } = refreshed;
      // The family's login, as at the code exchange: its methods and acr, whatever the session did since.
      const authMethods = parseMethods((family.authMethods ?? ['pwd']).join(' '));
      const login: PersonLogin = {
        client,
        user,
        scopes,
        sessionId: family.sessionId,
        grantId: family.id,
        authTime: family.authTime,
        authMethods,
        acr: family.acr ?? acrClaim(authMethods, []),
        dpopJkt: dpop?.jkt,
      };
      const access = issuePersonAccessToken(deps.tokens, login, audience);
      deps.observer?.tokenIssued({ grantType: 'refresh_token', client, sub: user.id, jti: access.jti, requestId, clientAddress });
      // OIDC Core §12.2: a new ID token with the same sub, auth_time and sid, and no nonce.
      const idToken = issuePersonIdToken(deps.idTokens, login, access.token);
      return personTokenResponse(login, access, { idToken, refreshToken: refreshed.refreshToken });
    },
  };
}
