/**
 * PKCE (RFC 7636) as Inkan applies it (RFC 9700 §2.1.1, OAuth 2.1):
 * - only `S256`: `plain` (and a challenge without a method, which defaults to plain) is refused;
 * - required of every client, but a legacy confidential client registered with `--allow-no-pkce`
 *   (a public client never is), which must then send a `nonce` for an OpenID request
 *   (login/authorization-request.ts);
 * - a code issued with a challenge needs the matching verifier, and a code issued without one
 *   refuses a verifier (downgrade protection, RFC 9700 §2.1.1).
 */
import crypto from 'node:crypto';
import { OAuthError } from './errors.js';

// RFC 7636 §4.1: 43–128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
const VERIFIER_SHAPE = /^[A-Za-z0-9\-._~]{43,128}$/;
// An S256 challenge is the base64url (no padding) of a SHA-256: exactly 43 characters.
const S256_CHALLENGE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Validates the challenge of an authorization request; returns it (or null when absent and allowed). */
export function acceptCodeChallenge(challenge: string | undefined, method: string | undefined, required: boolean): string | null {
  if (challenge === undefined) {
    if (method !== undefined) throw new OAuthError('invalid_request', 'code_challenge_method without code_challenge');
    if (required) throw new OAuthError('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256');
    return null;
  }
  if (method !== 'S256') {
    throw new OAuthError('invalid_request', 'code_challenge_method must be S256 (plain is not supported)');
  }
  if (!S256_CHALLENGE_SHAPE.test(challenge)) throw new OAuthError('invalid_request', 'code_challenge is not a base64url SHA-256');
  return challenge;
}

export function s256(verifier: string): string {
  return crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** At the token endpoint: the verifier must match the code's challenge (or both be absent). */
export function checkCodeVerifier(verifier: string | undefined, challenge: string | null): void {
  if (challenge === null) {
    if (verifier !== undefined) throw new OAuthError('invalid_grant', 'code_verifier sent for a code issued without code_challenge');
    return;
  }
  if (verifier === undefined) throw new OAuthError('invalid_grant', 'code_verifier is required');
  if (!VERIFIER_SHAPE.test(verifier)) throw new OAuthError('invalid_grant', 'code_verifier is malformed');
  const expected = Buffer.from(challenge, 'ascii');
  const actual = Buffer.from(s256(verifier), 'ascii');
  if (expected.length !== actual.length || !crypto.timingSafeEqual(expected, actual)) {
    throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
  }
}
