/**
 * RFC 8693's delegation rules (src/oauth/delegation.ts): the `act` claim nests earlier actors
 * under the new one (§4.1), and `may_act` (§4.4) lets only the party it names act, by `sub` and,
 * when given, `iss`; a `may_act` that is not such an object names nobody.
 */
import { describe, expect, it } from 'vitest';
import { actClaim, mayActPermits } from '../../src/oauth/delegation.js';

const ISSUER = 'https://id.example.com';
const gateway = { sub: 'gateway', iss: ISSUER };

describe('act', () => {
  it('names the actor alone when the subject token had no actor', () => {
    expect(actClaim(gateway, undefined)).toEqual({ sub: 'gateway' });
  });

  it('nests the subject token\'s actors under the new one, the least recent deepest', () => {
    expect(actClaim({ sub: 'inventory-sync', iss: ISSUER }, { sub: 'orders-api', act: { sub: 'gateway' } })).toEqual({
      sub: 'inventory-sync',
      act: { sub: 'orders-api', act: { sub: 'gateway' } },
    });
  });
});

describe('may_act', () => {
  it('permits anyone when absent', () => {
    expect(mayActPermits(undefined, gateway)).toBe(true);
  });

  it('permits the party it names by sub, and by iss when it gives one', () => {
    expect(mayActPermits({ sub: 'gateway' }, gateway)).toBe(true);
    expect(mayActPermits({ sub: 'gateway', iss: ISSUER }, gateway)).toBe(true);
  });

  it('refuses another sub, another iss, and anything that names nobody', () => {
    for (const mayAct of [{ sub: 'orders-api' }, { sub: 'gateway', iss: 'https://other.example.com' }, {}, { sub: 7 }, null, 'gateway', ['gateway'], { iss: ISSUER }]) {
      expect(mayActPermits(mayAct, gateway), JSON.stringify(mayAct)).toBe(false);
    }
  });
});
