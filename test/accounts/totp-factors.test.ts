/**
 * src/accounts/totp-factors.ts on real SQLite stores: the secret sealed with the KEK (the factor id
 * bound in), an enrolment finished only by a right code (which spends its step), each step
 * accepted once at sign-in, an unfinished enrolment never usable and replaced by the next, and a
 * secret sealed under another KEK refused with an error naming the factor, not a signing key.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/accounts/totp.js';
import { TotpFactors } from '../../src/accounts/totp-factors.js';
import type { Core } from '../../src/deps.js';
import { KeyEncryptionError, keySealer } from '../../src/keys/encryption.js';
import { openTestCore, type Closable } from '../helpers/deps.js';
import { movableClock } from '../helpers/people.js';

const clock = movableClock();
let core: Closable<Core>;
let factors: TotpFactors;

beforeAll(async () => {
  core = await openTestCore({ clock });
  factors = new TotpFactors({ store: core.stores.totpFactors, sealer: core.sealer, clock, issuerName: 'id.example.com' });
});
afterAll(async () => {
  await core.close();
});

async function person(): Promise<string> {
  const id = crypto.randomUUID();
  await core.stores.users.insert({ id, email: `${id}@example.com`, name: null, passwordHash: 'x', disabledAt: null, createdAt: 0 });
  return id;
}

const secretBytes = (base32: string) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...base32].map((char) => alphabet.indexOf(char).toString(2).padStart(5, '0')).join('');
  return Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
};

describe('TOTP factors', () => {
  it('seals the secret, finishes the enrolment only with a right code, and spends that code', async () => {
    const userId = await person();
    const enrolment = await factors.start(userId, 'ada@example.com');
    const secret = secretBytes(enrolment.secret);
    expect(enrolment.uri).toContain(`secret=${enrolment.secret}`);
    const [stored] = await core.stores.totpFactors.listForUser(userId);
    expect(stored!.sealedSecret).not.toContain(enrolment.secret);
    expect(core.sealer.unseal(`totp:${enrolment.factorId}`, stored!.sealedSecret)).toEqual(secret);
    expect(await factors.list(userId)).toEqual([]);
    expect(await factors.check(userId, totpCode(secret, clock.nowSeconds()))).toEqual({ kind: 'wrong' });

    expect(await factors.confirm(userId, enrolment.factorId, totpCode(secret, clock.nowSeconds() + 300))).toBe('wrong');
    expect(await factors.confirm(userId, enrolment.factorId, totpCode(secret, clock.nowSeconds()))).toBe('verified');
    expect(await factors.confirm(userId, enrolment.factorId, totpCode(secret, clock.nowSeconds()))).toBe('gone');
    expect(await factors.list(userId)).toMatchObject([{ id: enrolment.factorId, kind: 'totp', label: 'Authenticator app' }]);
    expect(await factors.check(userId, totpCode(secret, clock.nowSeconds()))).toEqual({ kind: 'replayed' });
    clock.advance(30);
    const code = totpCode(secret, clock.nowSeconds());
    expect(await factors.check(userId, code)).toEqual({ kind: 'accepted', factorId: enrolment.factorId });
    expect(await factors.check(userId, code)).toEqual({ kind: 'replayed' });
  });

  it("replaces an unfinished enrolment with the next, and never confirms another person's", async () => {
    const [ada, grace] = [await person(), await person()];
    const first = await factors.start(ada, 'ada@example.com');
    const second = await factors.start(ada, 'ada@example.com');
    expect((await core.stores.totpFactors.listForUser(ada)).map((factor) => factor.id)).toEqual([second.factorId]);
    expect(await factors.confirm(ada, first.factorId, totpCode(secretBytes(first.secret), clock.nowSeconds()))).toBe('gone');
    expect(await factors.confirm(grace, second.factorId, totpCode(secretBytes(second.secret), clock.nowSeconds()))).toBe('gone');
    expect(await factors.pending(ada, second.factorId, 'ada@example.com')).toEqual(second);
  });

  it('refuses a secret sealed under another key-encryption key, naming the factor', async () => {
    const userId = await person();
    const enrolment = await factors.start(userId, 'ada@example.com');
    await factors.confirm(userId, enrolment.factorId, totpCode(secretBytes(enrolment.secret), clock.nowSeconds()));
    const otherKek = new TotpFactors({ store: core.stores.totpFactors, sealer: keySealer(crypto.randomBytes(32)), clock, issuerName: 'id.example.com' });
    const refusal = otherKek.check(userId, '123456');
    await expect(refusal).rejects.toBeInstanceOf(KeyEncryptionError);
    await expect(refusal).rejects.toThrow(`the authenticator app ${enrolment.factorId} cannot be unsealed with this key-encryption key`);
  });
});
