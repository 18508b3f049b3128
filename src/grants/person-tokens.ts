/**
 * The tokens a person's login yields, shared by the grants that serve one (authorization_code
 * refresh_token and the device code): the access token with the login's `sid`, `auth_time`, `acr`, `amr` (RFC 9068
 * §2.2.1) and `grant_id` (and `cnf` when DPoP-bound), the ID token with `amr` and `acr` (OIDC Core
 * §2, RFC 8176) and the claims of the granted scopes, and the token response. The
 * grants differ only in how they establish the login; what they issue for it is defined here once,
 * and so is the whole issuance for a login a person approved (`issueApprovedLogin`: the code and
 * device grants): the person and the session still live, a fresh grant id, the single use of what
 * was presented, the refresh family (a client registered for refresh_token, offline_access granted),
 * the audit line and the metric.
 */
import crypto from 'node:crypto';
import type { ClientRecord } from '../storage/clients.js';
import type { UserRecord } from '../storage/people.js';
import type { Stores } from '../storage/stores.js';
import type { IssuanceObserver } from '../audit/token-issuance.js';
import type { RefreshTokenIssuer } from '../refresh/refresh-tokens.js';
import type { Revoker } from '../revocation/revoker.js';
import type { RevocationService } from '../revocation/service.js';
import { OAuthError } from '../oauth/errors.js';
import { acrClaim, parseMethods } from '../oauth/authentication-context.js';
import { userClaims } from '../oauth/claims.js';
import { amrClaim, type AuthMethod } from '../oauth/authentication-context.js';
import { issueAccessToken, type AccessTokenDeps, type IssuedAccessToken } from '../tokens/access-token.js';
import { issueIdToken, type IdTokenDeps } from '../tokens/id-token.js';
import type { TokenRequest, TokenResponse } from './grant.js';

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

/** A login a person approved for a client, as recorded with what the client presents (a code, a device code). */
export interface ApprovedLogin {
  readonly userId: string;
  readonly sessionId: string;
  readonly scopes: readonly string[];
  readonly authTime: number;
  /** RFC 8176 methods (absent: `pwd`, as recorded before migration 0017). */
  readonly authMethods?: readonly string[];
  /** The `acr` decided when the login met the request (absent: from the methods). */
  readonly acr?: string | null;
  /** The authorization request's nonce (OIDC Core §3.1.2.1), for the ID token. */
  readonly nonce?: string | null;
}

export interface ApprovedLoginDeps {
  readonly tokens: AccessTokenDeps;
  readonly idTokens: IdTokenDeps;
  readonly stores: Pick<Stores, 'users' | 'sessions'>;
  /** The refresh-token domain; without it no refresh token is issued. */
  readonly refreshTokens?: RefreshTokenIssuer;
  readonly observer?: IssuanceObserver;
  /** Ends a grant whose code was replayed while its exchange started the refresh family. */
  readonly revoker: Pick<Revoker, 'endGrant'>;
  /** Whether such a replay ended the grant (its `grant` record, read afresh). */
  readonly revocations: Pick<RevocationService, 'grantEnded'>;
}

export interface ApprovedLoginIssue {
  readonly request: TokenRequest;
  readonly approved: ApprovedLogin;
  readonly audience: string | string[];
  /**
   * The single use of what the client presented, recording the grant id; called once the access
   * token is signed and before anything else leaves. It throws to refuse (a lost race, a replay).
   */
  readonly consume: (grantId: string) => Promise<void>;
  /** What the client presented, for the refusal of a replay during the exchange: `the device_code`. */
  readonly presented: string;
}

/** The tokens of a login a person approved: one path for the code and device grants. */
export async function issueApprovedLogin(deps: ApprovedLoginDeps, { request, approved, audience, consume, presented }: ApprovedLoginIssue): Promise<TokenResponse> {
  const { client, dpop } = request;
  const user = await deps.stores.users.find(approved.userId);
  if (user === undefined || user.disabledAt !== null) throw new OAuthError('invalid_grant', 'the user is no longer active');
  const session = await deps.stores.sessions.find(approved.sessionId);
  if (session === undefined || session.endedAt !== null) throw new OAuthError('invalid_grant', 'the login session has ended');

  const grantId = crypto.randomUUID();
  const authMethods = parseMethods((approved.authMethods ?? ['pwd']).join(' '));
  const acr = approved.acr ?? acrClaim(authMethods, []);
  const login: PersonLogin = {
    client,
    user,
    scopes: approved.scopes,
    sessionId: session.id,
    grantId,
    authTime: approved.authTime,
    authMethods,
    acr,
    dpopJkt: dpop?.jkt,
  };
  const access = issuePersonAccessToken(deps.tokens, login, audience);
  const startsFamily = deps.refreshTokens !== undefined && client.grantTypes.includes('refresh_token') && approved.scopes.includes('offline_access');
  await consume(grantId);

  const idToken = issuePersonIdToken(deps.idTokens, login, access.token, approved.nonce ?? undefined);
  let refreshToken: string | undefined;
  if (startsFamily) {
    refreshToken = await deps.refreshTokens!.startFamily({
      familyId: grantId,
      client,
      userId: user.id,
      sessionId: session.id,
      scopes: approved.scopes,
      authTime: approved.authTime,
      authMethods,
      acr,
      ...(dpop !== undefined && client.authMethod === 'none' ? { dpopJkt: dpop.jkt } : {}),
    });
    // A replay of what `consume` used can land before the family existed, when ending the grant
    // found no family. revoker.endGrant writes the grant's revocation record before it ends the
    // family, so looking for that record now, either the replay ended this family or this sees it.
    if (await deps.revocations.grantEnded(grantId)) {
      await deps.revoker.endGrant(grantId);
      throw new OAuthError('invalid_grant', `${presented} was presented again during its exchange; the tokens issued for it are revoked`);
    }
  }
  deps.observer?.tokenIssued({ grantType: request.grantType, client, sub: user.id, jti: access.jti, requestId: request.requestId, clientAddress: request.clientAddress });
  return personTokenResponse(login, access, { idToken, refreshToken });
}
