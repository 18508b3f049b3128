/**
 * Verifies Inkan's own access tokens where Inkan is the resource server (userinfo): the signature
 * against the keys Inkan publishes (jose, with a local JWK Set rebuilt when the JWKS changes),
 * `typ: at+jwt` (RFC 9068 §4: an ID token cannot be replayed as an access token), the issuer, the
 * issuer as audience, expiry, and that the jti was not revoked.
 */
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Keyring } from '../keys/keyring.js';
import type { RevokedAccessTokenStore } from '../storage/stores.js';
import { SIGNING_ALGS } from '../storage/stores.js';
import type { Clock } from '../clock.js';

export interface OwnAccessTokenDeps {
  readonly keyring: Pick<Keyring, 'jwks'>;
  readonly issuer: string;
  readonly clock: Clock;
  readonly revokedAccessTokens: Pick<RevokedAccessTokenStore, 'isRevoked'>;
}

export interface AccessTokenClaims extends JWTPayload {
  readonly sub: string;
  readonly client_id: string;
  readonly scope: string;
  readonly jti: string;
}

export class AccessTokenRejected extends Error {
  override readonly name = 'AccessTokenRejected';
}

export function ownAccessTokenVerifier(deps: OwnAccessTokenDeps): (token: string) => Promise<AccessTokenClaims> {
  let cached: { etag: string; keySet: ReturnType<typeof createLocalJWKSet> } | undefined;
  const keySet = () => {
    const { body, etag } = deps.keyring.jwks();
    if (cached?.etag !== etag) cached = { etag, keySet: createLocalJWKSet(JSON.parse(body) as Parameters<typeof createLocalJWKSet>[0]) };
    return cached.keySet;
  };
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet(), {
        issuer: deps.issuer,
        audience: deps.issuer,
        typ: 'at+jwt',
        algorithms: [...SIGNING_ALGS],
        currentDate: new Date(deps.clock.nowSeconds() * 1000),
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id'],
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError) {
        throw new AccessTokenRejected(error.code === 'ERR_JWT_EXPIRED' ? 'the access token has expired' : 'the access token is invalid', { cause: error });
      }
      throw error;
    }
    if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || typeof payload.client_id !== 'string') {
      throw new AccessTokenRejected('the access token is invalid');
    }
    if (await deps.revokedAccessTokens.isRevoked(payload.jti)) throw new AccessTokenRejected('the access token was revoked');
    return { ...payload, scope: typeof payload.scope === 'string' ? payload.scope : '' } as AccessTokenClaims;
  };
}
