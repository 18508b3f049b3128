/**
 * The pure vocabulary of revocation, shared by the server and the verifier SDK: which tokens a
 * revocation record covers. It lives in the SDK because the SDK may import nothing from the
 * server; the server's src/revocation/revocations.ts re-exports it from `@inkan/verifier/protocol`,
 * so both sides run the very same rule.
 *
 * Each kind covers exactly what was ended, never more: a `grant` record covers the tokens of one
 * sign-in at one client (its `grant_id` claim), so revoking it leaves a later sign-in of the same
 * person, in the same browser, for the same client, untouched.
 */

export type RevocationTarget =
  /** One access token (RFC 7009 on an access token). */
  | { readonly kind: 'jti'; readonly jti: string }
  /** Every token of a subject issued before `notBefore` (log out everywhere, user disabled). */
  | { readonly kind: 'subject'; readonly sub: string; readonly notBefore: number }
  /** Every token of one login session (`sid`): logout of one device, whichever client holds them. */
  | { readonly kind: 'session'; readonly sid: string }
  /**
   * Every token of one grant (`grant_id`): what one authorization-code exchange and the refresh
   * family it started issued (RFC 7009 §2.1 on a refresh token, a replayed refresh token or code).
   */
  | { readonly kind: 'grant'; readonly grantId: string }
  /** Every token issued to a client before `notBefore` (client deleted). */
  | { readonly kind: 'client'; readonly clientId: string; readonly notBefore: number };

export type RevocationKind = RevocationTarget['kind'];

export interface RevocationRecord {
  /** Monotonic: the revocation feed's event id. */
  readonly id: number;
  readonly target: RevocationTarget;
  readonly createdAt: number;
  /** When every token this record can cover has expired; the record is purged after it. */
  readonly expiresAt: number;
}

/** The claims of an access token that revocation decisions look at. */
export interface RevocableClaims {
  readonly jti: string;
  readonly sub: string;
  readonly client_id: string;
  readonly iat: number;
  readonly sid?: string | undefined;
  readonly grant_id?: string | undefined;
}

/** True when the record covers the token. Pure, so the server and the verifier SDK agree. */
export function isCoveredBy(record: RevocationTarget, claims: RevocableClaims): boolean {
  switch (record.kind) {
    case 'jti':
      return record.jti === claims.jti;
    case 'subject':
      return record.sub === claims.sub && claims.iat < record.notBefore;
    case 'session':
      return claims.sid !== undefined && record.sid === claims.sid;
    case 'grant':
      return claims.grant_id !== undefined && record.grantId === claims.grant_id;
    case 'client':
      return record.clientId === claims.client_id && claims.iat < record.notBefore;
  }
}
