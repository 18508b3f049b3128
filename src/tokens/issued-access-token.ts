/**
 * The one check of an access token Inkan issued, wherever Inkan itself reads one: userinfo and the
 * revocation feed (Inkan is the resource server: `audience` = the issuer), introspection (RFC 7662)
 * and revocation (RFC 7009), where the token usually belongs to another resource server (no
 * audience check).
 *
 * In order: the signature against the keys Inkan publishes (the keyring's jose key lookup), with
 * only Inkan's own algorithms allowed — so `alg: none` and an HS256 MAC keyed with a public key
 * fail — then `typ: at+jwt` (an ID token is not an access token, RFC 9068 §4), the issuer, the
 * audience when asked for, expiry, the RFC 9068 claims with their types, and last whether a
 * revocation record covers the token. That last answer comes from one place, the revocation
 * service (revocation/service.ts): `jti` records (RFC 7009), `sub` (log out everywhere, user
 * disabled), `sid` (logout of one device), `grant_id` (a revoked refresh token or a replayed
 * code) and `client` (client deleted).
 * By default the service is synced for the call (`fresh`), so a revocation committed by any
 * process before the request is seen; a caller that only needs the cached answer says so.
 *
 * A failure is an `AccessTokenRejected` whose `reason` a caller switches on; its message is safe
 * to show a client (userinfo and the feed put it in their RFC 6750 challenge).
 */
import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../clock.js';
import type { Keyring } from '../keys/keyring.js';
import type { RevocationService } from '../revocation/service.js';
import { SIGNING_ALGS } from '../storage/keys.js';

export interface IssuedAccessTokenClaims extends JWTPayload {
  readonly iss: string;
  readonly sub: string;
  readonly client_id: string;
  readonly jti: string;
  readonly exp: number;
  readonly iat: number;
  /** Space-separated; '' when the token carries none. */
  readonly scope: string;
  readonly sid?: string;
  /** A person's token: the grant it came from (revocation/revoker.ts). */
  readonly grant_id?: string;
}

export type AccessTokenRejection = 'invalid' | 'expired' | 'revoked';

export class AccessTokenRejected extends Error {
  override readonly name = 'AccessTokenRejected';

  constructor(
    readonly reason: AccessTokenRejection,
    options?: ErrorOptions,
  ) {
    super(REJECTION_MESSAGES[reason], options);
  }
}

const REJECTION_MESSAGES: Readonly<Record<AccessTokenRejection, string>> = {
  invalid: 'the access token is invalid',
  expired: 'the access token has expired',
  revoked: 'the access token was revoked',
};

export interface AccessTokenCheck {
  /** Required `aud` (Inkan's own endpoints: the issuer); absent: any audience. */
  readonly audience?: string;
  /** Sync the revocation cache for this call (default true); false answers from the cache (≤ 1 s old). */
  readonly fresh?: boolean;
}

export interface IssuedAccessTokenDeps {
  readonly keyring: Pick<Keyring, 'verificationKeys'>;
  readonly issuer: string;
  readonly clock: Clock;
  readonly revocations: Pick<RevocationService, 'isRevoked'>;
}

/** Resolves to the token's claims, or rejects with `AccessTokenRejected`. */
export type IssuedAccessTokenVerifier = (token: string, check?: AccessTokenCheck) => Promise<IssuedAccessTokenClaims>;

export function issuedAccessTokenVerifier(deps: IssuedAccessTokenDeps): IssuedAccessTokenVerifier {
  return async (token, check = {}) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, deps.keyring.verificationKeys(), {
        issuer: deps.issuer,
        ...(check.audience === undefined ? {} : { audience: check.audience }),
        typ: 'at+jwt',
        algorithms: [...SIGNING_ALGS],
        currentDate: new Date(deps.clock.nowSeconds() * 1000),
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id'],
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError) throw new AccessTokenRejected(error.code === 'ERR_JWT_EXPIRED' ? 'expired' : 'invalid', { cause: error });
      throw error;
    }
    const { sub, jti, client_id: clientId, sid, grant_id: grantId, scope, iat } = payload;
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof clientId !== 'string' || typeof iat !== 'number') {
      throw new AccessTokenRejected('invalid');
    }
    if ((sid !== undefined && typeof sid !== 'string') || (grantId !== undefined && typeof grantId !== 'string') || (scope !== undefined && typeof scope !== 'string')) {
      throw new AccessTokenRejected('invalid');
    }
    const claims = { ...payload, scope: scope ?? '' } as IssuedAccessTokenClaims;
    if (await deps.revocations.isRevoked(claims, { fresh: check.fresh ?? true })) throw new AccessTokenRejected('revoked');
    return claims;
  };
}
