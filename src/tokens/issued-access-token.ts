/**
 * Recognises an access token Inkan issued, for any audience: what introspection (RFC 7662) and
 * revocation (RFC 7009) need, where the token usually belongs to another resource server. The
 * signature is checked with jose against the keys Inkan publishes (a local JWK Set rebuilt when
 * the JWKS changes), with only Inkan's own algorithms allowed — so `alg: none` and an HS256 MAC
 * keyed with a public key are rejected — plus `typ: at+jwt` (an ID token is not an access token,
 * RFC 9068 §4), the issuer, expiry and the RFC 9068 claims. Every failure is `undefined`: both
 * endpoints answer a bad token without saying why. (tokens/own-access-token.ts is the userinfo
 * variant, which also requires the issuer as audience.)
 */
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../clock.js';
import type { Keyring } from '../keys/keyring.js';
import { SIGNING_ALGS } from '../storage/stores.js';

export interface IssuedAccessTokenClaims extends JWTPayload {
  readonly iss: string;
  readonly sub: string;
  readonly client_id: string;
  readonly jti: string;
  readonly exp: number;
  readonly iat: number;
  readonly scope?: string;
  readonly sid?: string;
}

export interface IssuedAccessTokenDeps {
  readonly keyring: Pick<Keyring, 'jwks'>;
  readonly issuer: string;
  readonly clock: Clock;
}

export type IssuedAccessTokenVerifier = (token: string) => Promise<IssuedAccessTokenClaims | undefined>;

export function issuedAccessTokenVerifier(deps: IssuedAccessTokenDeps): IssuedAccessTokenVerifier {
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
        typ: 'at+jwt',
        algorithms: [...SIGNING_ALGS],
        currentDate: new Date(deps.clock.nowSeconds() * 1000),
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id'],
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
    const { sub, jti, client_id: clientId, sid, scope } = payload;
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof clientId !== 'string') return undefined;
    if (sid !== undefined && typeof sid !== 'string') return undefined;
    if (scope !== undefined && typeof scope !== 'string') return undefined;
    return payload as IssuedAccessTokenClaims;
  };
}
