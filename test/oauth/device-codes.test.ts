/**
 * RFC 8628 user codes (src/oauth/device-codes.ts): 8 letters of the unambiguous alphabet, grouped
 * XXXX-XXXX, every letter drawn; typed codes normalised (case, dash, spaces) and anything else
 * refused; the stored form a keyed hash, different under another key.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveUserCodeKey, newUserCode, normalizeUserCode, USER_CODE_ALPHABET, userCodeHash } from '../../src/oauth/device-codes.js';

describe('user codes', () => {
  it('are 8 letters of BCDFGHJKLMNPQRSTVWXZ shown as XXXX-XXXX, every letter in use', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i += 1) {
      const code = newUserCode();
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      for (const char of code.replace('-', '')) seen.add(char);
    }
    expect([...seen].sort().join('')).toBe(USER_CODE_ALPHABET);
  });

  it('are accepted in any case, with or without the dash and spaces, and nothing else', () => {
    expect(normalizeUserCode('WDJB-MJHT')).toBe('WDJBMJHT');
    expect(normalizeUserCode('wdjbmjht')).toBe('WDJBMJHT');
    expect(normalizeUserCode(' wdjb mjht ')).toBe('WDJBMJHT');
    expect(normalizeUserCode('WDJB-MJH')).toBeUndefined();
    expect(normalizeUserCode('WDJB-MJHTX')).toBeUndefined();
    expect(normalizeUserCode('WDJA-MJHT')).toBeUndefined(); // a vowel is not in the alphabet
    expect(normalizeUserCode('WDJB-MJH0')).toBeUndefined();
    expect(normalizeUserCode('W'.repeat(100))).toBeUndefined();
  });

  it('are stored as a keyed hash', () => {
    const key = deriveUserCodeKey(crypto.randomBytes(32));
    const other = deriveUserCodeKey(crypto.randomBytes(32));
    expect(userCodeHash(key, 'WDJBMJHT')).toMatch(/^[0-9a-f]{64}$/);
    expect(userCodeHash(key, 'WDJBMJHT')).toBe(userCodeHash(key, 'WDJBMJHT'));
    expect(userCodeHash(key, 'WDJBMJHT')).not.toBe(userCodeHash(other, 'WDJBMJHT'));
    expect(userCodeHash(key, 'WDJBMJHT')).not.toBe(crypto.createHash('sha256').update('WDJBMJHT').digest('hex'));
  });
});
