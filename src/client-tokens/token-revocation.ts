/**
 * Token revocation (RFC 7009) without HTTP. The caller (a client, authenticated like at the token
 * endpoint; public clients included, §2.1) revokes a token issued to it:
 * - a refresh token ends its grant: the whole family, and every access token the grant issued
 *   (they carry its `grant_id`), the refreshed ones included (RFC 7009 §2.1);
 * - an access token (Inkan's own JWT, verified against the published keys) gets a `jti`
 *   revocation record until its `exp`, which introspection, userinfo, the push feed and the
 *   status list honour (the record says where the token's status bit is).
 * A token issued to another client is left alone, and an unknown, expired or malformed token is
 * not an error: the endpoint answers 200 whatever happened (§2.2), so it cannot be used to probe
 * for valid tokens. `token_type_hint` is ignored: the token's shape tells the types apart.
 * Both go through revocation/revoker.ts, the one revocation path.
 */
import type { RefreshTokenService } from '../refresh/service.js';
import type { Revoker } from '../revocation/revoker.js';
import type { ClientRecord } from '../storage/clients.js';
import { AccessTokenRejected, type IssuedAccessTokenClaims, type IssuedAccessTokenVerifier } from '../tokens/issued-access-token.js';
import { looksLikeJwt, MAX_INTROSPECTED_TOKEN_LENGTH } from './introspection.js';

export interface TokenRevocationDeps {
  readonly verifyAccessToken: IssuedAccessTokenVerifier;
  readonly revoker: Pick<Revoker, 'revokeAccessToken'>;
  readonly refreshTokens: Pick<RefreshTokenService, 'revokeFamilyOf'>;
}

export type RevocationResult = 'revoked' | 'ignored';

export async function revokeToken(deps: TokenRevocationDeps, client: ClientRecord, token: string): Promise<RevocationResult> {
  if (token.length > MAX_INTROSPECTED_TOKEN_LENGTH) return 'ignored';
  if (!looksLikeJwt(token)) return (await deps.refreshTokens.revokeFamilyOf(token, client.clientId)) ? 'revoked' : 'ignored';
  let claims: IssuedAccessTokenClaims;
  try {
    // The cached answer is enough: a token already revoked needs no second record.
    claims = await deps.verifyAccessToken(token, { fresh: false });
  } catch (error) {
    // Revoked already, expired, or not Inkan's: nothing to do.
    if (error instanceof AccessTokenRejected) return 'ignored';
    throw error;
  }
  if (claims.client_id !== client.clientId) return 'ignored';
  await deps.revoker.revokeAccessToken(claims);
  return 'revoked';
}
