/**
 * RFC 8628 user codes, made for a person to read on one screen and type on another (§6.1):
 * 8 characters from BCDFGHJKLMNPQRSTVWXZ (20 consonants: no vowels, so no words, and none of
 * the look-alikes 0/O, 1/I/L... that a digit alphabet would add), about 34.6 bits, shown as
 * XXXX-XXXX. What a person types is accepted in either case, with or without the dash and spaces.
 *
 * So few bits are safe only because guesses are throttled per address (login/device-verification.ts)
 * and a code lives minutes; at rest the code is a keyed hash (HMAC-SHA-256 under a key derived
 * from the KEK), since a plain hash of 34 bits is reversed by brute force from a leaked table.
 */
import crypto from 'node:crypto';

/** RFC 8628 §3.4: the grant_type of the device's token request. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

/** A new code, grouped for display: `WDJB-MJHT`. */
export function newUserCode(): string {
  const chars = Array.from({ length: USER_CODE_LENGTH }, () => USER_CODE_ALPHABET[crypto.randomInt(USER_CODE_ALPHABET.length)]);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}

/** What a person typed, as the hash sees it (`WDJBMJHT`); undefined when it cannot be a user code. */
export function normalizeUserCode(typed: string): string | undefined {
  if (typed.length > 64) return undefined;
  const compact = typed.toUpperCase().replace(/[\s-]/g, '');
  if (compact.length !== USER_CODE_LENGTH) return undefined;
  for (const char of compact) if (!USER_CODE_ALPHABET.includes(char)) return undefined;
  return compact;
}

export function deriveUserCodeKey(keyEncryptionKey: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', keyEncryptionKey, Buffer.alloc(0), 'inkan device user codes v1', 32));
}

/** The stored form of a normalised user code. */
export function userCodeHash(key: Buffer, normalized: string): string {
  return crypto.createHmac('sha256', key).update(normalized, 'utf8').digest('hex');
}
