/**
 * Revocation records: the answer to "a JWT cannot be taken back". Each record says which access
 * tokens are no longer valid and is kept only until the latest `exp` among the tokens it can cover,
 * so the whole list stays small enough for every verifier to hold in memory.
 *
 * Records are written by the revocation endpoint (RFC 7009), logout, `tokens revoke --email`,
 * `users disable` and `clients delete`; they are read by introspection and userinfo, by the push
 * feed (every record has a monotonic `id`, the feed's event id) and by the status list.
 */

export type RevocationTarget =
  /** One access token (RFC 7009 on an access token). */
  | { readonly kind: 'jti'; readonly jti: string }
  /** Every token of a subject issued before `notBefore` (log out everywhere, user disabled). */
  | { readonly kind: 'subject'; readonly sub: string; readonly notBefore: number }
  /** Every token of one login session (`sid`): logout of one device. */
  | { readonly kind: 'session'; readonly sid: string }
  /** Every token issued to a client before `notBefore` (client deleted). */
  | { readonly kind: 'client'; readonly clientId: string; readonly notBefore: number };

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
}

/** True when any record covers the token. Pure, so the server and the verifier SDK agree. */
export function isCoveredBy(record: RevocationTarget, claims: RevocableClaims): boolean {
  switch (record.kind) {
    case 'jti':
      return record.jti === claims.jti;
    case 'subject':
      return record.sub === claims.sub && claims.iat < record.notBefore;
    case 'session':
      return claims.sid !== undefined && record.sid === claims.sid;
    case 'client':
      return record.clientId === claims.client_id && claims.iat < record.notBefore;
  }
}

export interface RevocationStore {
  /** Appends a record (its id is assigned by the store) and returns it. */
  add(target: RevocationTarget, createdAt: number, expiresAt: number): Promise<RevocationRecord>;
  /** Records with id > `afterId` that have not expired at `now`, in id order (the feed's resume). */
  listSince(afterId: number, now: number, limit: number): Promise<RevocationRecord[]>;
  /** Deletes up to `limit` records expired at `now`; returns how many. */
  purgeExpired(now: number, limit: number): Promise<number>;
}
