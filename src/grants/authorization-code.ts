/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636) and OpenID Connect Core §3.1.3. A code is found by its
 * SHA-256 and is:
 *  - bound to the client, the redirect_uri and the PKCE challenge it was issued for;
 *  - short-lived (60 s) and single-use. Its exchange starts a grant: a fresh id that every access
 *    token of the exchange and of the refresh family it may start carries as `grant_id` (the
 *    family's id is the grant's). The grant id is chosen before the code is consumed and recorded
 *    by the one conditional update that consumes it, so a second presentation (RFC 6749 §4.1.2:
 *    "revoke all tokens previously issued based on that authorization code") always finds the
 *    grant and ends it through revocation/revoker.ts: the family, and every access token carrying
 *    the grant id, those refreshed since included.
 *    A replay is also marked on the code (`replayed_at`). One that lands between the consuming
 *    update and the family's insert, when ending the family finds nothing, is caught by the
 *    exchange once its family exists (person-tokens.ts): it ends the grant and answers invalid_grant.
 * The access token carries `sid`, `auth_time`, `acr`, `amr` and `grant_id`; the ID token (scope
 * openid) carries nonce, at_hash, sid, auth_time, amr, acr and the claims of the granted scopes.
 * `amr` and `acr` are the code's: decided when the login met the request (login/authorizer.ts). A refresh token is issued
 * only to a client registered for the refresh_token grant that was granted offline_access.
 * With a DPoP proof (RFC 9449 §5) the access token is bound to its key, and so is the refresh
 * family of a public client (a confidential client's refresh tokens are bound to its
 * authentication instead).
 */
import type { Clock } from '../clock.js';
import type { Stores } from '../storage/stores.js';
import { OAuthError } from '../oauth/errors.js';
import { checkCodeVerifier } from '../oauth/pkce.js';
import { audienceFor } from '../oauth/resources.js';
import { hashSecret } from '../tokens/secrets.js';
import type { Grant, TokenResponse } from './grant.js';
import { issueApprovedLogin, type ApprovedLoginDeps } from './person-tokens.js';

export interface AuthorizationCodeGrantDeps extends ApprovedLoginDeps {
  readonly clock: Clock;
  readonly stores: ApprovedLoginDeps['stores'] & Pick<Stores, 'authorizationCodes'>;
}

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);

export function authorizationCodeGrant(deps: AuthorizationCodeGrantDeps): Grant {
  /** RFC 6749 §4.1.2 / RFC 9700 §4.2.4: the code was used before: end the grant it started. */
  async function replayed(codeHash: string): Promise<never> {
    const code = await deps.stores.authorizationCodes.markReplayed(codeHash, deps.clock.nowSeconds());
    if (code?.grantId != null) await deps.revoker.endGrant(code.grantId);
    throw invalidGrant('the authorization code was already used; the tokens issued for it are revoked');
  }

  return {
    grantType: 'authorization_code',
    async handle(request): Promise<TokenResponse> {
      const { client, params, resources } = request;
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

      return issueApprovedLogin(deps, {
        request,
        approved: record,
        audience: audienceFor(resources, client.resources, deps.tokens.issuer),
        // The winner of this update is the only exchange; a loser is a replay like any other.
        consume: async (grantId) => {
          if (!(await deps.stores.authorizationCodes.consume(codeHash, now, grantId))) await replayed(codeHash);
        },
        presented: 'the authorization code',
      });
    },
  };
}
