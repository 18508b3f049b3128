/**
 * High-entropy bearer secrets (client secrets, refresh tokens, codes, session ids): 256 random bits,
 * stored only as SHA-256 and compared in constant time. A slow hash buys nothing for a secret no
 * one can guess, and would cap the token endpoint (see FIELD-NOTES: Hydra's bcrypt-bound 513/s).
 */
import crypto from 'node:crypto';

export function randomSecret(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret against a stored SHA-256 (hex). */
export function secretMatches(presented: string, storedHash: string | null): boolean {
  const actual = crypto.hash('sha256', presented, 'buffer');
  // Compare against a same-length dummy when nothing is stored, so a miss costs the same.
  const expected = storedHash !== null && storedHash.length === 64 ? Buffer.from(storedHash, 'hex') : Buffer.alloc(32);
  return crypto.timingSafeEqual(actual, expected) && storedHash !== null;
}
