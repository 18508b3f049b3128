/**
 * Revocation records: the answer to "a JWT cannot be taken back". Each record says which access
 * tokens are no longer valid and is kept only until the latest `exp` among the tokens it can cover,
 * so the whole list stays small enough for every verifier to hold in memory (the records and their
 * store: storage/revocations.ts).
 *
 * Records are written by one service, revocation/revoker.ts, whatever ended (a token, a grant, a
 * session, a person, a client); they are read by introspection and userinfo, by the push feed
 * (every record has a monotonic `id`, the feed's event id) and by the status lists. This module
 * says which records can cover which tokens.
 */
import type { RevocationTarget } from '../storage/revocations.js';
// The rule itself (`isCoveredBy`) and the claims it reads live with the verifier SDK, which may
// import nothing from the server; both sides run the very same rule.
import { isCoveredBy, type RevocableClaims } from '@inkan/verifier/protocol';

export { isCoveredBy, type RevocableClaims };

/**
 * The key a record is filed under (`jti:…`, `sub:…`, `sid:…`, `grant:…`, `client:…`): a record can
 * only cover a token that has the same key among its `tokenKeys`.
 */
export function targetKey(target: RevocationTarget): string {
  switch (target.kind) {
    case 'jti':
      return `jti:${target.jti}`;
    case 'subject':
      return `sub:${target.sub}`;
    case 'session':
      return `sid:${target.sid}`;
    case 'grant':
      return `grant:${target.grantId}`;
    case 'client':
      return `client:${target.clientId}`;
  }
}

/** The keys of the records that could cover a token with these claims. */
export function tokenKeys(claims: RevocableClaims): string[] {
  return [`jti:${claims.jti}`, ...ownerKeys(claims)];
}

/**
 * The keys of the token's owners: everything but its own jti that a record can name (the status
 * lists record a token's index under each of them).
 */
export function ownerKeys(claims: Omit<RevocableClaims, 'jti' | 'iat'>): string[] {
  const keys = [`client:${claims.client_id}`, `sub:${claims.sub}`];
  if (claims.sid !== undefined) keys.push(`sid:${claims.sid}`);
  if (claims.grant_id !== undefined) keys.push(`grant:${claims.grant_id}`);
  return keys;
}
