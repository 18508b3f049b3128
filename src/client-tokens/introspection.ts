/**
 * Token introspection (RFC 7662) without HTTP: what Inkan says about a token to an authenticated
 * client.
 *
 * client-tokens/ holds what a client may do with a token it holds besides using it: ask about it
 * (here) or give it back (token-revocation.ts). Either takes any token, tells an access token from
 * a refresh token by its shape, and calls the access-token check (tokens/) or the refresh-token
 * service (refresh/), so it sits above both, and above revocation/; the protocol rules in oauth/
 * stay below everything that uses them.
 *
 * Policy:
 * - Only confidential clients may introspect (RFC 7662 §2.1 requires the caller be authorized; a
 *   public client proves nothing but a client_id): a public client gets invalid_client.
 * - Access tokens are described only to the clients entitled to see them (RFC 7662 §4: the server
 *   decides what a caller may learn, and a token's `sub`, `sid` and `scope` are no business of an
 *   unrelated client): the token's own client (its `client_id`), or a resource server registered
 *   as a client whose registered resources (`--resources`, RFC 8707) include one of the token's
 *   `aud` values, i.e. a client the token is meant for. Anyone else gets `{"active": false}`,
 *   exactly as for an unknown token, so the answer does not even confirm that the token exists.
 *   Active means: signed by a published Inkan key with an Inkan alg, `typ: at+jwt`, Inkan as `iss`,
 *   not expired, and covered by no revocation record (checked against a cache synced for this very
 *   call, so a revocation committed anywhere before the request is seen); the checks are
 *   tokens/issued-access-token.ts, shared with userinfo, the feed and RFC 7009.
 * - Refresh tokens: only the client they were issued to learns anything; for any other client a
 *   refresh token is `active: false`, exactly like an unknown one. Active means unused (the
 *   family's current head), unexpired (idle and absolute), family not revoked, user not disabled.
 *   `token_type` is `refresh_token`, `exp` the idle expiry.
 * - Everything else — expired, revoked, malformed, wrongly signed, `alg: none`, HS256 keyed with a
 *   public key, an ID token, a consumed refresh token — is `{"active": false}` and nothing more.
 * - `token_type_hint` is accepted and ignored (RFC 7662 §2.1 lets the server search all types): a
 *   JWS has dots and an Inkan refresh token never has, so the token's shape decides.
 */
import type { RefreshTokenService } from '../refresh/service.js';
import type { ClientRecord } from '../storage/clients.js';
import { AccessTokenRejected, type IssuedAccessTokenClaims, type IssuedAccessTokenVerifier } from '../tokens/issued-access-token.js';
import { invalidClient } from '../oauth/errors.js';
import { isTokenFor } from '../oauth/resources.js';

export interface IntrospectionDeps {
  readonly issuer: string;
  readonly verifyAccessToken: IssuedAccessTokenVerifier;
  readonly refreshTokens: Pick<RefreshTokenService, 'findLive'>;
}

export type IntrospectionResponse = { readonly active: false } | ({ readonly active: true } & Readonly<Record<string, unknown>>);

/** Far longer than any token Inkan issues; longer input is answered inactive without parsing. */
export const MAX_INTROSPECTED_TOKEN_LENGTH = 16 * 1024;
const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

/** A JWS compact serialisation has exactly two dots; an Inkan refresh token has none. */
export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

export async function introspect(deps: IntrospectionDeps, client: ClientRecord, token: string): Promise<IntrospectionResponse> {
  if (client.authMethod === 'none') throw invalidClient('introspection requires an authenticated (confidential) client');
  if (token.length > MAX_INTROSPECTED_TOKEN_LENGTH) return INACTIVE;
  return looksLikeJwt(token) ? introspectAccessToken(deps, client, token) : introspectRefreshToken(deps, client, token);
}

async function introspectAccessToken(deps: IntrospectionDeps, client: ClientRecord, token: string): Promise<IntrospectionResponse> {
  let claims: IssuedAccessTokenClaims;
  try {
    claims = await deps.verifyAccessToken(token, { fresh: true });
  } catch (error) {
    if (error instanceof AccessTokenRejected) return INACTIVE;
    throw error;
  }
  return isTokenFor(client, claims) ? accessTokenResponse(claims) : INACTIVE;
}

function accessTokenResponse(claims: IssuedAccessTokenClaims): IntrospectionResponse {
  const cnf = claims.cnf as { jkt?: unknown } | undefined;
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    sub: claims.sub,
    exp: claims.exp,
    iat: claims.iat,
    iss: claims.iss,
    aud: claims.aud,
    jti: claims.jti,
    // RFC 9449 §8: a DPoP-bound token says so, and carries its key binding.
    token_type: typeof cnf?.jkt === 'string' ? 'DPoP' : 'Bearer',
    ...(claims.nbf === undefined ? {} : { nbf: claims.nbf }),
    ...(claims.sid === undefined ? {} : { sid: claims.sid }),
    ...(claims.auth_time === undefined ? {} : { auth_time: claims.auth_time }),
    ...(cnf === undefined ? {} : { cnf }),
    // RFC 8693 §4.1: an exchanged token names its actor(s); §4 lets introspection say so too.
    ...(claims.act === undefined ? {} : { act: claims.act }),
  };
}

async function introspectRefreshToken(deps: IntrospectionDeps, client: ClientRecord, token: string): Promise<IntrospectionResponse> {
  const live = await deps.refreshTokens.findLive(token);
  if (live === undefined || live.family.clientId !== client.clientId) return INACTIVE;
  return {
    active: true,
    scope: live.family.scopes.join(' '),
    client_id: live.family.clientId,
    sub: live.family.userId,
    exp: live.token.expiresAt,
    iat: live.token.createdAt,
    iss: deps.issuer,
    token_type: 'refresh_token',
    sid: live.family.sessionId,
    auth_time: live.family.authTime,
  };
}
