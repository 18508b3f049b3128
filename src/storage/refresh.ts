/**
 * Refresh-token families and tokens as the database keeps them (implemented in
 * knex/refresh-store.ts, with sqlite-refresh-store.ts for SQLite's hot statements; the refresh
 * domain is refresh/service.ts).
 *
 * A family is one login granted offline_access; each rotation adds one token to it and consumes
 * the previous one. Tokens are stored only as SHA-256. The one method that must be atomic is
 * `rotate`: a single transaction whose conditional updates decide, by their row counts, whether
 * the family is alive and which caller consumed the token, so concurrent refreshes of one token
 * can never both win (see FIELD-NOTES: Keycloak CVE-2026-1035, hydra#3604).
 */

export interface RefreshFamilyRecord {
  readonly id: string;
  readonly clientId: string;
  /** The `sub`. */
  readonly userId: string;
  /** The login session (`sid`). */
  readonly sessionId: string;
  /** What was granted at login; every token of the family carries exactly these (RFC 6749 §6). */
  readonly scopes: readonly string[];
  readonly authTime: number;
  /** RFC 8176 methods and `acr` of the login (absent: `pwd` and null, as before migration 0017). */
  readonly authMethods?: readonly string[];
  readonly acr?: string | null;
  readonly createdAt: number;
  /** Absolute expiry: createdAt + REFRESH_TOKEN_TTL. */
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  /**
   * RFC 9449 §5: the JWK thumbprint every refresh of this family must prove possession of (a public
   * client that used DPoP at the code exchange); null or absent for unbound families.
   */
  readonly dpopJkt?: string | null;
}

export interface RefreshTokenRecord {
  /** SHA-256 (hex) of the opaque token. */
  readonly tokenHash: string;
  readonly familyId: string;
  readonly createdAt: number;
  /** Idle expiry, never after the family's absolute expiry. */
  readonly expiresAt: number;
  readonly consumedAt: number | null;
  /** The hash of the token that replaced this one, set by the rotation that consumed it. */
  readonly successorHash: string | null;
}

export interface FoundRefreshToken {
  readonly token: RefreshTokenRecord;
  readonly family: RefreshFamilyRecord;
}

export type RotationOutcome =
  /** This caller consumed the token; the successor is stored. */
  | { readonly kind: 'rotated' }
  /** The family was revoked or reached its absolute expiry: nothing written. */
  | { readonly kind: 'family_ended' }
  /** The token reached its idle expiry: nothing written. */
  | { readonly kind: 'expired' }
  /** Someone consumed it first (now or earlier): nothing written. */
  | { readonly kind: 'consumed'; readonly consumedAt: number; readonly successorHash: string | null };

/** Which families to end together: every given field must match (at least one is required). */
export interface FamilySelector {
  readonly sessionId?: string;
  readonly userId?: string;
  readonly clientId?: string;
}

export interface RefreshTokenStore {
  /** Writes a family and its first token in one transaction. */
  startFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void>;
  find(tokenHash: string): Promise<FoundRefreshToken | undefined>;
  /**
   * One transaction: the family must be alive at `now` (a conditional update of its row, which
   * also serialises rotations of one family), then `UPDATE … SET consumed_at = now,
   * successor_hash = … WHERE token_hash = ? AND consumed_at IS NULL AND expires_at > now`; its row
   * count decides, and only the winner inserts `successor`.
   */
  rotate(tokenHash: string, familyId: string, successor: RefreshTokenRecord, now: number): Promise<RotationOutcome>;
  /** Returns false when the family did not exist or was already revoked. */
  revokeFamily(familyId: string, at: number): Promise<boolean>;
  /** Revokes every live family matching; returns how many. */
  revokeFamilies(selector: FamilySelector, at: number): Promise<number>;
  /**
   * Deletes up to `limit` rows that can no longer matter: tokens past their idle expiry, tokens of
   * revoked or expired families, and then such families once they hold no tokens. Returns how
   * many rows went.
   */
  purge(now: number, limit: number): Promise<number>;
}
