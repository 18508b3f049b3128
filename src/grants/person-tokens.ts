/**
 * The tokens a person's login yields, shared by the grants that serve one (authorization_code
 * and refresh_token): the access token with the login's `sid`, `auth_time`, `acr`, `amr` (RFC 9068
 * §2.2.1) and `grant_id` (and `cnf` when DPoP-bound), the ID token with `amr` and `acr` (OIDC Core
 * §2, RFC 8176) and the claims of the granted scopes, and the token response. The
 * grants differ only in how they establish the login; what they issue for it is defined here once.
 */
import type { ClientRecord } from '../storage/clients.js';
import type { UserRecord } from '../storage/people.js';
import { userClaims } from '../oauth/claims.js';
import { amrClaim, type AuthMethod } from '../oauth/authentication-context.js';
import { issueAccessToken, type AccessTokenDeps, type IssuedAccessToken } from '../tokens/access-token.js';
import { issueIdToken, type IdTokenDeps } from '../tokens/id-token.js';
import type { TokenResponse } from './grant.js';

export interface PersonLogin {
  readonly client: ClientRecord;
  readonly user: UserRecord;
  readonly scopes: readonly string[];
  /** The login session: the `sid` claim. */
  readonly sessionId: string;
  /**
   * The grant: one code exchange and the refresh family it started (whose id it is). Its access
   * tokens carry it as `grant_id`, so ending the grant revokes exactly them (revocation/revoker.ts).
   */
  readonly grantId: string;
  readonly authTime: number;
  /** RFC 8176 methods of the login (oauth/authentication-context.ts). */
  readonly authMethods: readonly AuthMethod[];
  /** The `acr` decided when the login met the authorization request. */
  readonly acr: string;
  /** The DPoP key's thumbprint when the token is bound (`cnf.jkt`). */
  readonly dpopJkt: string | undefined;
}

export function issuePersonAccessToken(deps: AccessTokenDeps, login: PersonLogin, audience: string | readonly string[]): IssuedAccessToken {
  return issueAccessToken(deps, {
    subject: login.user.id,
    client: login.client,
    scopes: login.scopes,
    audience,
    extraClaims: {
      sid: login.sessionId,
      grant_id: login.grantId,
      auth_time: login.authTime,
      acr: login.acr,
      amr: amrClaim(login.authMethods),
      cnf: login.dpopJkt === undefined ? undefined : { jkt: login.dpopJkt },
    },
  });
}

/** The ID token when `openid` was granted (OIDC Core §3.1.3.3 and §12.2), else undefined. */
export function issuePersonIdToken(deps: IdTokenDeps, login: PersonLogin, accessToken: string, nonce?: string): string | undefined {
  if (!login.scopes.includes('openid')) return undefined;
  return issueIdToken(deps, {
    client: login.client,
    subject: login.user.id,
    authTime: login.authTime,
    amr: amrClaim(login.authMethods),
    acr: login.acr,
    nonce,
    sid: login.sessionId,
    accessToken,
    claims: userClaims(login.user, login.scopes),
  });
}

export function personTokenResponse(
  login: PersonLogin,
  access: IssuedAccessToken,
  extra: { readonly idToken: string | undefined; readonly refreshToken: string | undefined },
): TokenResponse {
  return {
    access_token: access.token,
    token_type: login.dpopJkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: access.expiresIn,
    scope: access.scope,
    // Left out of the JSON when undefined.
    id_token: extra.idToken,
    refresh_token: extra.refreshToken,
  };
}
