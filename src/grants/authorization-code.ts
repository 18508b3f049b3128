/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636) and OpenID Connect Core §3.1.3. A code is found by its
 * SHA-256 and is:
 *  - bound to the client, the redirect_uri and the PKCE challenge it was issued for;
 *  - short-lived (60 s) and single-use: the exchange signs the tokens, then one conditional update
 *    marks the code used *and* records the access token's jti, so a second presentation (RFC 6749
 *    §4.1.2: "revoke all tokens previously issued based on that authorization code") always finds
 *    what to revoke: the jti goes to `revoked_access_tokens` and the refresh family (issue 5) is
 *    ended through `PeopleRevocationHooks.endRefreshFamiliesOfReplayedCode`.
 * The access token carries `sid` and `auth_time`; the ID token (scope openid) carries nonce,
 * at_hash, sid, auth_time and the claims of the granted scopes. A refresh token is issued only to a
 * client registered for the refresh_token grant that was granted offline_access.
 */
import type { Clock } from '../clock.js';
import type { Stores } from '../storage/stores.js';
import { OAuthError } from '../oauth/errors.js';
import { checkCodeVerifier } from '../oauth/pkce.js';
import { audienceFor } from '../oauth/resources.js';
import { issueAccessToken, type AccessTokenDeps } from '../tokens/access-token.js';
import { issueIdToken, type IdTokenDeps } from '../tokens/id-token.js';
import { hashSecret } from '../tokens/secrets.js';
import { userClaims } from '../accounts/claims.js';
import type { RefreshTokenIssuer } from '../refresh/refresh-tokens.js';
import type { PeopleRevocationHooks } from '../login/revocation-hooks.js';
import type { Grant, TokenResponse } from './grant.js';

export interface AuthorizationCodeGrantDeps {
  readonly tokens: AccessTokenDeps;
  readonly idTokens: IdTokenDeps;
  readonly clock: Clock;
  readonly stores: Pick<Stores, 'authorizationCodes' | 'users' | 'sessions' | 'revokedAccessTokens'>;
  readonly hooks: PeopleRevocationHooks;
  /** The refresh-token domain (issue 5); without it no refresh token is issued. */
  readonly refreshTokens?: RefreshTokenIssuer;
}

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);

export function authorizationCodeGrant(deps: AuthorizationCodeGrantDeps): Grant {
  /** RFC 6749 §4.1.2 / RFC 9700 §4.2.4: the code was used before: revoke what it issued. */
  async function replayed(code: { codeHash: string; clientId: string; userId: string; sessionId: string }): Promise<never> {
    const record = await deps.stores.authorizationCodes.find(code.codeHash);
    const now = deps.clock.nowSeconds();
    for (const token of record?.issuedAccessTokens ?? []) await deps.stores.revokedAccessTokens.revoke(token.jti, token.exp, now);
    await deps.hooks.endRefreshFamiliesOfReplayedCode?.({ clientId: code.clientId, userId: code.userId, sessionId: code.sessionId });
    throw invalidGrant('the authorization code was already used; the tokens issued for it are revoked');
  }

  return {
    grantType: 'authorization_code',
    async handle({ client, params, resources }): Promise<TokenResponse> {
      const code = params.get('code');
      if (code === undefined) throw new OAuthError('invalid_request', 'code is required');
      const redirectUri = params.get('redirect_uri');
      if (redirectUri === undefined) throw new OAuthError('invalid_request', 'redirect_uri is required');
      const codeHash = hashSecret(code);
      const record = code.length <= 200 ? await deps.stores.authorizationCodes.find(codeHash) : undefined;
      if (record === undefined) throw invalidGrant('the authorization code is invalid');
      if (record.clientId !== client.clientId) throw invalidGrant('the authorization code was issued to another client');
      if (record.consumedAt !== null) return replayed(record);
      const now = deps.clock.nowSeconds();
      if (now >= record.expiresAt) throw invalidGrant('the authorization code has expired');
      if (redirectUri !== record.redirectUri) throw invalidGrant('redirect_uri does not match the authorization request');
      checkCodeVerifier(params.get('code_verifier'), record.codeChallenge);

      const user = await deps.stores.users.find(record.userId);
      if (user === undefined || user.disabledAt !== null) throw invalidGrant('the user is no longer active');
      const session = await deps.stores.sessions.find(record.sessionId);
      if (session === undefined || session.endedAt !== null) throw invalidGrant('the login session has ended');

      const audience = audienceFor(resources, client.resources, deps.tokens.issuer);
      const access = issueAccessToken(deps.tokens, {
        subject: user.id,
        client,
        scopes: record.scopes,
        audience,
        extraClaims: { sid: session.id, auth_time: record.authTime },
      });
      // The winner of this update is the only exchange; a loser is a replay like any other.
      if (!(await deps.stores.authorizationCodes.consume(codeHash, now, [{ jti: access.jti, exp: access.expiresAt }]))) {
        return replayed(record);
      }

      const idToken = record.scopes.includes('openid')
        ? issueIdToken(deps.idTokens, {
            client,
            subject: user.id,
            authTime: record.authTime,
            nonce: record.nonce ?? undefined,
            sid: session.id,
            accessToken: access.token,
            claims: userClaims(user, record.scopes),
          })
        : undefined;
      const refreshToken =
        deps.refreshTokens !== undefined && client.grantTypes.includes('refresh_token') && record.scopes.includes('offline_access')
          ? await deps.refreshTokens.startFamily({ client, userId: user.id, sessionId: session.id, scopes: record.scopes, authTime: record.authTime })
          : undefined;
      return {
        access_token: access.token,
        token_type: 'Bearer',
        expires_in: access.expiresIn,
        scope: access.scope,
        ...(idToken === undefined ? {} : { id_token: idToken }),
        ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      };
    },
  };
}
