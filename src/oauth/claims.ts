/**
 * Claims about a person by scope (OpenID Connect Core §5.4), the same in the ID token and at
 * userinfo: `profile` → name, `email` → email and email_verified (Inkan does not verify
 * addresses, so it is always false).
 */
import type { UserRecord } from '../storage/people.js';

export const USER_CLAIMS = ['name', 'email', 'email_verified'] as const;

export function userClaims(user: UserRecord, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scopes.includes('profile') && user.name !== null) claims.name = user.name;
  if (scopes.includes('email')) {
    claims.email = user.email;
    claims.email_verified = false;
  }
  return claims;
}
