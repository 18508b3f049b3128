/** The people module's pure rules: argon2id parameters and rehash, redirect URI matching, PKCE, throttle policy. */
import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { ARGON2_PARAMETERS, checkPassword, hashPassword } from '../../src/accounts/passwords.js';
import { ACCOUNT_RULE, ADDRESS_RULE, addressKey } from '../../src/accounts/throttle.js';
import { matchRedirectUri } from '../../src/oauth/redirect-uri.js';
import { acceptCodeChallenge, checkCodeVerifier, s256 } from '../../src/oauth/pkce.js';

describe('passwords', () => {
  it('hashes with argon2id m=19456 KiB, t=2, p=1 and rehashes an outdated hash on a successful check', async () => {
    const hash = await hashPassword('a password');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await checkPassword('a password', hash)).toEqual({ matches: true });
    expect(await checkPassword('another', hash)).toEqual({ matches: false });
    const weak = await argon2.hash('a password', { ...ARGON2_PARAMETERS, memoryCost: 8192, timeCost: 1 });
    const check = await checkPassword('a password', weak);
    expect(check.matches).toBe(true);
    expect(check.rehashed).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('answers an unknown user (no stored hash) with false after verifying against a dummy hash', async () => {
    expect(await checkPassword('anything', undefined)).toEqual({ matches: false });
  });
});

describe('redirect URIs', () => {
  it('match exactly, except a portless loopback registration (RFC 8252 §7.3)', () => {
    expect(matchRedirectUri('https://app.example/cb', ['https://app.example/cb'])).toBe(true);
    expect(matchRedirectUri('https://app.example/cb/', ['https://app.example/cb'])).toBe(false);
    expect(matchRedirectUri('https://APP.example/cb', ['https://app.example/cb'])).toBe(false);
    expect(matchRedirectUri('http://127.0.0.1:51234/cb', ['http://127.0.0.1/cb'])).toBe(true);
    expect(matchRedirectUri('http://[::1]:8080/cb', ['http://[::1]/cb'])).toBe(true);
    expect(matchRedirectUri('http://127.0.0.1:51234/other', ['http://127.0.0.1/cb'])).toBe(false);
    expect(matchRedirectUri('http://127.0.0.1:5000/cb', ['http://127.0.0.1:4000/cb'])).toBe(false);
    expect(matchRedirectUri('http://localhost:5000/cb', ['http://localhost/cb'])).toBe(false);
    // A port beyond 65535 is no port at all (and would make the redirect URL unparsable).
    expect(matchRedirectUri('http://127.0.0.1:65535/cb', ['http://127.0.0.1/cb'])).toBe(true);
    expect(matchRedirectUri('http://127.0.0.1:99999/cb', ['http://127.0.0.1/cb'])).toBe(false);
  });
});

describe('PKCE', () => {
  it('accepts S256 only and checks the verifier', () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(s256(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'); // RFC 7636 appendix B
    expect(acceptCodeChallenge(s256(verifier), 'S256', true)).toBe(s256(verifier));
    expect(() => acceptCodeChallenge(verifier, 'plain', false)).toThrow(/S256/);
    expect(() => acceptCodeChallenge(undefined, undefined, true)).toThrow(/PKCE is required/);
    expect(acceptCodeChallenge(undefined, undefined, false)).toBeNull();
    expect(() => checkCodeVerifier(verifier, s256(verifier))).not.toThrow();
    expect(() => checkCodeVerifier(`${verifier}x`, s256(verifier))).toThrow(/does not match/);
    expect(() => checkCodeVerifier(verifier, null)).toThrow(/without code_challenge/);
  });
});

describe('throttle policy', () => {
  it('grows per account and stays bounded', () => {
    expect([1, 4, 5, 6, 9, 10, 11, 12, 50].map((n) => ACCOUNT_RULE.blockSeconds(n))).toEqual([0, 0, 1, 2, 16, 900, 1800, 3600, 3600]);
    expect([19, 20, 21, 40].map((n) => ADDRESS_RULE.blockSeconds(n))).toEqual([0, 1, 2, 300]);
  });

  it('keys IPv6 clients by their /64', () => {
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe(addressKey('2001:db8:1:2:ffff::1'));
    expect(addressKey('2001:db8::1')).toBe('address:2001:db8:0:0::/64');
    expect(addressKey('::ffff:10.0.0.1')).toBe('address:10.0.0.1');
  });
});
