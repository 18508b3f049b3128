/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636) and OpenID Connect Core §3.1.3. A code is found by its
 * SHA-256 and is:
 *  - bound to the client, the redirect_uri and the PKCE challenge it was issued for;
 *  - short-lived (60 s) and single-use: the exchange signs the tokens, then one conditional update
 *    marks the code used *and* records the access token's jti and the id of the refresh family it
 *    is about to start, so a second presentation (RFC 6749 §4.1.2: "revoke all tokens previously
 *    issued based on that authorization code") always finds what to revoke: the jti gets a
 *    revocation record (revocation/service.ts, so userinfo, introspection, the push feed and the
 *    status list all see it) and the family is ended through
 *    `PeopleRevocationHooks.endRefreshFamilyOfReplayedCode`.
 *  - A replay can land between the consuming update and the family's insert, when ending the
 *    family finds nothing. So a replay also marks the code (`replayed_at`), and the exchange, once
 *    its family exists, reads the mark: if it is there, the exchange ends the family itself and
 *    answers invalid_grant. Either the replay's end sees the family or the exchange sees the mark.
 * The access token carries `sid` and `auth_time`; the ID token (scope openid) carries nonce,
 * at_hash, sid, auth_time and the claims of the granted scopes. A refresh token is issued only to a
 * client registered for the refresh_token grant that was granted offline_access.
 * With a DPoP proof (RFC 9449 §5) the access token is bound to its key, and so is the refresh
 * family of a public client (a confidential client's refresh tokens are bound to its
 * authentication instead).
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Stores } from '../storage/stores.js';
import { OAuthError } from '../oauth/errors.js';
import { checkCodeVerifier } from '../oauth/pkce.js';
import { audienceFor } from '../oauth/resources.js';
import type { AccessTokenDeps } from '../tokens/access-token.js';
import type { IdTokenDeps } from '../tokens/id-token.js';
import { hashSecret } from '../tokens/secrets.js';
import type { RefreshTokenIssuer } from '../refresh/refresh-tokens.js';
import type { PeopleRevocationHooks } from '../login/revocation-hooks.js';
import type { RevocationService } from '../revocation/service.js';
import type { Grant, IssuanceObserver, TokenResponse } from './grant.js';
import { issuePersonAccessToken, issuePersonIdToken, personTokenResponse, type PersonLogin } from './person-tokens.js';

export interface AuthorizationCodeGrantDeps {
  readonly tokens: AccessTokenDeps;
  readonly idTokens: IdTokenDeps;
  readonly clock: Clock;
  readonly stores: Pick<Stores, 'authorizationCodes' | 'users' | 'sessions'>;
  readonly hooks: PeopleRevocationHooks;
  /** Where the access tokens of a replayed code are revoked. */
  readonly revocations: Pick<RevocationService, 'revoke' | 'isRevoked'>;
  /** The refresh-token domain (issue 5); without it no refresh token is issued. */
  readonly refreshTokens?: RefreshTokenIssuer;
  readonly observer?: IssuanceObserver;
}

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);

export function authorizationCodeGrant(deps: AuthorizationCodeGrantDeps): Grant {
  /** RFC 6749 §4.1.2 / RFC 9700 §4.2.4: the code was used before: revoke what it issued. */
  async function replayed(codeHash: string): Promise<never> {
    const now = deps.clock.nowSeconds();
    const code = await deps.stores.authorizationCodes.markReplayed(codeHash, now);
    if (code !== undefined) {
      // Idempotent: a token already covered (an earlier replay, a logout) gets no second record.
      const issuedTo = { sub: code.userId, client_id: code.clientId, sid: code.sessionId, iat: code.consumedAt ?? now };
      for (const token of code.issuedAccessTokens) {
        if (token.exp <= now || (await deps.revocations.isRevoked({ ...issuedTo, jti: token.jti }))) continue;
        await deps.revocations.revoke({ kind: 'jti', jti: token.jti, expiresAt: token.exp });
      }
      if (code.refreshFamilyId !== null) await deps.hooks.endRefreshFamilyOfReplayedCode?.(code.refreshFamilyId);
    }
    throw invalidGrant('the authorization code was already used; the tokens issued for it are revoked');
  }

  /** After the family exists: a replay that came in meanwhile could not end it, so end it here. */
  async function endFamilyIfReplayed(codeHash: string, familyId: string): Promise<void> {
    const code = await deps.stores.authorizationCodes.find(codeHash);
    if (code === undefined || code.replayedAt === null) return;
    await deps.hooks.endRefreshFamilyOfReplayedCode?.(familyId);
    throw invalidGrant('the authorization code was presented again during its exchange; the tokens issued for it are revoked');
  }

  return {
    grantType: 'authorization_code',
    async handle({ client, params, resources, requestId, clientAddress, dpop }): Promise<TokenResponse> {
      const code = params.get('code');
      if (code === undefined) throw new OAuthError('invalid_request', 'code is required');
      const redirectUri = params.get('redirect_uri');
      if (redirectUri === undefined) throw new OAuthError('invalid_request', 'redirect_uri is required');
      const codeHash = hashSecret(code);
      const record = code.length <= 200 ? await deps.stores.authorizationCodes.find(codeHash) : undefined;
      if (record === undefined) throw invalidGrant('the authorization code is invalid');
      if (record.clientId !== client.clientId) throw invalidGrant('the authorization code was issued to another client');
      if (record.consumedAt !== null) return replayed(codeHash);
      const now = deps.clock.nowSeconds();
      if (now >= record.expiresAt) throw invalidGrant('the authorization code has expired');
      if (redirectUri !== record.redirectUri) throw invalidGrant('redirect_uri does not match the authorization request');
      checkCodeVerifier(params.get('code_verifier'), record.codeChallenge);

      const user = await deps.stores.users.find(record.userId);
      if (user === undefined || user.disabledAt !== null) throw invalidGrant('the user is no longer active');
      const session = await deps.stores.sessions.find(record.sessionId);
      if (session === undefined || session.endedAt !== null) throw invalidGrant('the login session has ended');

      const audience = audienceFor(resources, client.resources, deps.tokens.issuer);
      const login: PersonLogin = { client, user, scopes: record.scopes, sessionId: session.id, authTime: record.authTime, dpopJkt: dpop?.jkt };
      const access = issuePersonAccessToken(deps.tokens, login, audience);
      const startsFamily =
        deps.refreshTokens !== undefined && client.grantTypes.includes('refresh_token') && record.scopes.includes('offline_access');
      const refreshFamilyId = startsFamily ? crypto.randomUUID() : null;
      // The winner of this update is the only exchange; a loser is a replay like any other.
      const issued = { accessTokens: [{ jti: access.jti, exp: access.expiresAt }], refreshFamilyId };
      if (!(await deps.stores.authorizationCodes.consume(codeHash, now, issued))) return replayed(codeHash);

      const idToken = issuePersonIdToken(deps.idTokens, login, access.token, record.nonce ?? undefined);
      let refreshToken: string | undefined;
      if (refreshFamilyId !== null) {
        refreshToken = await deps.refreshTokens!.startFamily({
          familyId: refreshFamilyId,
          client,
          userId: user.id,
          sessionId: session.id,
          scopes: record.scopes,
          authTime: record.authTime,
          ...(dpop !== undefined && client.authMethod === 'none' ? { dpopJkt: dpop.jkt } : {}),
        });
        await endFamilyIfReplayed(codeHash, refreshFamilyId);
      }
      deps.observer?.tokenIssued({ grantType: 'authorization_code', client, sub: user.id, jti: access.jti, requestId, clientAddress });
      return personTokenResponse(login, access, { idToken, refreshToken });
    },
  };
}
