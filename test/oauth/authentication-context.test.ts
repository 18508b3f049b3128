/**
 * src/oauth/authentication-context.ts: RFC 8176 methods to `amr`, the classes to `acr`, and what
 * a login satisfies of an `acr_values` request (OIDC Core §3.1.2.1).
 */
import { describe, expect, it } from 'vitest';
import {
  ACR_MFA,
  ACR_PASSWORD,
  ACR_PHISHING_RESISTANT,
  acrClaim,
  amrClaim,
  parseAcrValues,
  parseMethods,
  requiredAcr,
  satisfies,
  strongestAcr,
} from '../../src/oauth/authentication-context.js';

describe('amr', () => {
  it('adds mfa only when the methods span two kinds of factor', () => {
    expect(amrClaim(['pwd'])).toEqual(['pwd']);
    expect(amrClaim(['otp', 'pwd'])).toEqual(['pwd', 'otp', 'mfa']);
    expect(amrClaim(['hwk', 'user'])).toEqual(['hwk', 'user']);
    expect(amrClaim(['swk', 'pin'])).toEqual(['swk', 'pin', 'mfa']);
  });

  it('reads the stored form, dropping duplicates and words it does not know', () => {
    expect(parseMethods('otp pwd otp mfa bogus')).toEqual(['pwd', 'otp']);
    expect(parseMethods(null)).toEqual([]);
  });
});

describe('acr', () => {
  it('gives each login its strongest class: a password, a second factor, a passkey', () => {
    expect(strongestAcr(['pwd'])).toBe(ACR_PASSWORD);
    expect(strongestAcr(['pwd', 'otp'])).toBe(ACR_MFA);
    expect(strongestAcr(['hwk', 'user'])).toBe(ACR_PHISHING_RESISTANT);
  });

  it('orders the classes: a passkey satisfies mfa, a second factor does not satisfy phr', () => {
    expect(satisfies(['hwk'], ACR_MFA)).toBe(true);
    expect(satisfies(['pwd', 'otp'], ACR_PHISHING_RESISTANT)).toBe(false);
    expect(satisfies(['pwd'], ACR_MFA)).toBe(false);
    expect(satisfies(['pwd'], ACR_PASSWORD)).toBe(true);
  });

  it('answers the first requested class the login satisfies, else its strongest', () => {
    expect(acrClaim(['hwk', 'user'], [ACR_MFA])).toBe(ACR_MFA);
    expect(acrClaim(['hwk', 'user'], [])).toBe(ACR_PHISHING_RESISTANT);
    expect(acrClaim(['pwd', 'otp'], [ACR_PHISHING_RESISTANT, ACR_MFA])).toBe(ACR_MFA);
    expect(acrClaim(['pwd'], [ACR_MFA])).toBe(ACR_PASSWORD);
  });

  it('ignores acr_values it does not know, and requires the weakest it was asked for', () => {
    expect(parseAcrValues('urn:other:gold phr  urn:inkan:acr:mfa')).toEqual([ACR_PHISHING_RESISTANT, ACR_MFA]);
    expect(parseAcrValues(undefined)).toEqual([]);
    expect(requiredAcr([ACR_PHISHING_RESISTANT, ACR_MFA])).toBe(ACR_MFA);
    expect(requiredAcr([])).toBeUndefined();
  });
});
