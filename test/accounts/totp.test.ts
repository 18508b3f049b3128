/**
 * src/accounts/totp.ts against RFC 6238 Appendix B (SHA-1, the 20-byte ASCII secret
 * "12345678901234567890"; the 6-digit code is the last 6 of the 8-digit vectors), the ±1 step
 * skew, the time step returned, and the otpauth URI.
 */
import { describe, expect, it } from 'vitest';
import { matchTotp, totpCode, totpSecretText, totpUri } from '../../src/accounts/totp.js';

const SECRET = Buffer.from('12345678901234567890', 'ascii');

describe('RFC 6238 TOTP', () => {
  it('computes the Appendix B SHA-1 values (last 6 digits)', () => {
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [time, code] of vectors) expect(totpCode(SECRET, time)).toBe(code.slice(-6));
  });

  it('matches a code of this step or one step either side, answering its step, and nothing further', () => {
    const now = 1111111111; // step 37037037
    expect(matchTotp(SECRET, '050471', now)).toBe(37037037);
    expect(matchTotp(SECRET, totpCode(SECRET, now - 30), now)).toBe(37037036);
    expect(matchTotp(SECRET, totpCode(SECRET, now + 30), now)).toBe(37037038);
    expect(matchTotp(SECRET, totpCode(SECRET, now + 60), now)).toBeUndefined();
    expect(matchTotp(SECRET, totpCode(SECRET, now - 60), now)).toBeUndefined();
  });

  it('refuses anything but six digits without computing', () => {
    for (const code of ['', '05047', '0504711', '05047a', ' 050471', '050 471']) expect(matchTotp(SECRET, code, 1111111111)).toBeUndefined();
  });

  it('writes the Key URI Format with SHA1, 6 digits and 30 s, and the secret in base32', () => {
    expect(totpSecretText(SECRET)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    const uri = new URL(totpUri(SECRET, 'id.example.com', 'ada@example.com'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/id.example.com:ada@example.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ issuer: 'id.example.com', secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', algorithm: 'SHA1', digits: '6', period: '30' });
  });
});
