/**
 * passkeys/ceremonies.ts on real stores (a migrated SQLite file) with a software authenticator
 * (soft-authenticator.ts): what a registration stores, what a sign-in returns and records, and
 * each refusal with its exact reason and message: a challenge answered twice, replaced, expired,
 * bound elsewhere or of the other ceremony; a wrong origin or RP ID, no user verification, a
 * malformed answer, an unknown credential, another person's user handle, a counter that did not
 * grow (a clone), a disabled person, a credential registered twice, a non-discoverable one.
 */
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PasskeyCeremony, PasskeyFailure, PasskeyObserver } from '../../src/audit/passkeys.js';
import { CHALLENGE_TTL_SECONDS, PasskeyCeremonies, type PasskeyResult } from '../../src/passkeys/ceremonies.js';
import type { UserRecord } from '../../src/storage/people.js';
import { openTestCore, type Closable } from '../helpers/deps.js';
import { movableClock } from '../helpers/people.js';
import type { Core } from '../../src/deps.js';
import { FLAGS, SoftAuthenticator } from './soft-authenticator.js';

const RP = { id: 'login.example.com', origin: 'https://login.example.com', name: 'Inkan' };
const ORIGIN = { requestId: 'req-1', address: '192.0.2.1' };

type Event = [string, ...unknown[]];

function recordingObserver(events: Event[]): PasskeyObserver {
  return {
    added: (_origin, sub, id, be) => events.push(['added', sub, id, be]),
    renamed: (_origin, sub, id) => events.push(['renamed', sub, id]),
    removed: (_origin, sub, id) => events.push(['removed', sub, id]),
    used: (_origin, sub, id, clientId, synced) => events.push(['used', sub, id, clientId, synced]),
    failed: (_origin, ceremony: PasskeyCeremony, reason: PasskeyFailure, detail) => events.push(['failed', ceremony, reason, detail]),
  };
}

describe('PasskeyCeremonies', () => {
  let core: Closable<Core>;
  let clock: ReturnType<typeof movableClock>;
  let ceremonies: PasskeyCeremonies;
  let events: Event[];
  let ada: UserRecord;
  let authenticator: SoftAuthenticator;

  async function newUser(email: string): Promise<UserRecord> {
    const user: UserRecord = { id: crypto.randomUUID(), email, name: null, passwordHash: 'x', disabledAt: null, createdAt: clock.nowSeconds() };
    await core.stores.users.insert(user);
    return user;
  }

  beforeEach(async () => {
    clock = movableClock();
    core = await openTestCore({ clock });
    events = [];
    ceremonies = new PasskeyCeremonies({
      passkeys: core.stores.passkeys,
      challenges: core.stores.webAuthnChallenges,
      users: core.stores.users,
      clock,
      relyingParty: RP,
      observer: recordingObserver(events),
    });
    ada = await newUser('ada@example.com');
    authenticator = new SoftAuthenticator({ rpId: RP.id, origin: RP.origin });
  });
  afterEach(async () => {
    await core.close();
  });

  function value<T>(result: PasskeyResult<T>): T {
    if (!result.ok) throw new Error(`refused: ${result.reason}`);
    return result.value;
  }

  async function enrol(user: UserRecord, name = 'Laptop', flags?: number) {
    const options = await ceremonies.registrationOptions(user, `session:${user.id}`);
    const answer = authenticator.register(options, flags === undefined ? {} : { flags });
    return value(await ceremonies.register(user, `session:${user.id}`, JSON.stringify(answer), name, ORIGIN));
  }

  async function signIn(binding = 'signin:ix-1', overrides: Parameters<SoftAuthenticator['assert']>[2] = {}, credential = authenticator.credentials.at(-1)!) {
    const options = await ceremonies.authenticationOptions(binding);
    return ceremonies.authenticate(binding, JSON.stringify(authenticator.assert(credential, options, overrides)), { ...ORIGIN, clientId: 'app' });
  }

  it('offers a discoverable credential with user verification, for this RP, excluding the passkeys held', async () => {
    const options = await ceremonies.registrationOptions(ada, 'session:s1');
    expect(options).toMatchObject({
      rp: { id: RP.id, name: 'Inkan' },
      user: { id: Buffer.from(ada.id).toString('base64url'), name: 'ada@example.com', displayName: 'ada@example.com' },
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      attestation: 'none',
      excludeCredentials: [],
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      extensions: { credProps: true },
    });
    expect(Buffer.from(options.challenge, 'base64url')).toHaveLength(32);
    const passkey = await enrol(ada);
    expect((await ceremonies.registrationOptions(ada, 'session:s1')).excludeCredentials).toEqual([{ id: passkey.id, type: 'public-key', transports: ['internal'] }]);

    const signInOptions = await ceremonies.authenticationOptions('signin:ix');
    expect(signInOptions).toMatchObject({ rpId: RP.id, userVerification: 'required', timeout: CHALLENGE_TTL_SECONDS * 1000 });
    expect(signInOptions.allowCredentials ?? []).toEqual([]);
  });

  it('stores a registered passkey with its key, counter, transports and backup flags, and tells the observer', async () => {
    const passkey = await enrol(ada, 'Work laptop');
    expect(await core.stores.passkeys.find(passkey.id)).toEqual({
      id: authenticator.credentials[0]!.id.toString('base64url'),
      userId: ada.id,
      publicKey: expect.any(String),
      counter: 0,
      transports: ['internal'],
      backupEligible: false,
      backedUp: false,
      name: 'Work laptop',
      createdAt: clock.nowSeconds(),
      lastUsedAt: null,
    });
    expect(events).toEqual([['added', ada.id, passkey.id, false]]);

    const synced = await enrol(ada, 'Phone', FLAGS.UP | FLAGS.UV | FLAGS.BE | FLAGS.BS);
    expect(synced).toMatchObject({ backupEligible: true, backedUp: true });
  });

  it('signs the owner in with the passkey alone, and records the use and the counter', async () => {
    const passkey = await enrol(ada);
    clock.advance(30);
    const result = value(await signIn());
    expect(result).toMatchObject({ user: { id: ada.id }, synced: false, userVerified: true, passkey: { id: passkey.id, counter: 1, lastUsedAt: clock.nowSeconds() } });
    expect(await core.stores.passkeys.find(passkey.id)).toMatchObject({ counter: 1, lastUsedAt: clock.nowSeconds() });
    expect(events.at(-1)).toEqual(['used', ada.id, passkey.id, 'app', false]);
    expect(value(await signIn('signin:ix-2')).passkey.counter).toBe(2);
  });

  it('says a backup-eligible passkey is synced', async () => {
    await enrol(ada, 'Phone', FLAGS.UP | FLAGS.UV | FLAGS.BE);
    expect(value(await signIn('signin:ix', { flags: FLAGS.UP | FLAGS.UV | FLAGS.BE | FLAGS.BS }))).toMatchObject({ synced: true, passkey: { backedUp: true } });
  });

  it('accepts an authenticator that keeps no counter (always 0) every time', async () => {
    await enrol(ada);
    expect(value(await signIn('signin:a', { counter: 0 })).passkey.counter).toBe(0);
    expect(value(await signIn('signin:b', { counter: 0 })).passkey.counter).toBe(0);
  });

  it('refuses a counter that did not grow (a cloned authenticator): audited, the stored counter kept', async () => {
    const passkey = await enrol(ada);
    await signIn('signin:a', { counter: 5 });
    for (const counter of [5, 3, 0]) {
      expect(await signIn('signin:b', { counter })).toEqual({
        ok: false,
        reason: 'cloned',
        message: 'This passkey was refused because it may have been copied. Sign in another way and check your passkeys.',
        refusal: { key: 'passkeyCloned' },
      });
      expect(events.at(-1)).toEqual(['failed', 'authentication', 'cloned', { sub: ada.id, credentialId: passkey.id, clientId: 'app' }]);
    }
    expect((await core.stores.passkeys.find(passkey.id))?.counter).toBe(5);
    expect(value(await signIn('signin:c', { counter: 6 })).passkey.counter).toBe(6);
  });

  it('takes a challenge once: the same answer twice is refused the second time', async () => {
    await enrol(ada);
    const options = await ceremonies.authenticationOptions('signin:ix');
    const answer = JSON.stringify(authenticator.assert(authenticator.credentials[0]!, options));
    expect((await ceremonies.authenticate('signin:ix', answer, { ...ORIGIN, clientId: 'app' })).ok).toBe(true);
    expect(await ceremonies.authenticate('signin:ix', answer, { ...ORIGIN, clientId: 'app' })).toEqual({
      ok: false,
      reason: 'no_challenge',
      message: 'This passkey request was already used or replaced. Try again.',
      refusal: { key: 'passkeyNoChallenge' },
    });
  });

  it('refuses an answer to a challenge that was replaced, answered elsewhere, of the other ceremony, or expired', async () => {
    await enrol(ada);
    const credential = authenticator.credentials[0]!;
    const first = await ceremonies.authenticationOptions('signin:ix');
    await ceremonies.authenticationOptions('signin:ix');
    const stale = JSON.stringify(authenticator.assert(credential, first));
    expect(await ceremonies.authenticate('signin:ix', stale, { ...ORIGIN, clientId: 'app' })).toMatchObject({ ok: false, reason: 'verification_failed' });

    // Bound to another pending sign-in (another browser's): nothing waits here.
    const other = await ceremonies.authenticationOptions('signin:other');
    expect(await ceremonies.authenticate('signin:ix', JSON.stringify(authenticator.assert(credential, other)), { ...ORIGIN, clientId: 'app' })).toMatchObject({
      ok: false,
      reason: 'no_challenge',
    });

    // A registration's challenge does not sign anyone in, even under the same binding.
    const registration = await ceremonies.registrationOptions(ada, 'signin:reg');
    expect(await ceremonies.authenticate('signin:reg', JSON.stringify(authenticator.assert(credential, registration)), { ...ORIGIN, clientId: 'app' })).toMatchObject({
      ok: false,
      reason: 'no_challenge',
    });

    const late = await ceremonies.authenticationOptions('signin:late');
    clock.advance(CHALLENGE_TTL_SECONDS);
    expect(await ceremonies.authenticate('signin:late', JSON.stringify(authenticator.assert(credential, late)), { ...ORIGIN, clientId: 'app' })).toEqual({
      ok: false,
      reason: 'expired_challenge',
      message: 'This passkey request has expired. Try again.',
      refusal: { key: 'passkeyExpiredChallenge' },
    });
  });

  it('refuses another origin, another RP ID and a missing user verification, in both ceremonies', async () => {
    const options = await ceremonies.registrationOptions(ada, 'session:s');
    expect(await ceremonies.register(ada, 'session:s', JSON.stringify(authenticator.register(options, { origin: 'https://evil.example' })), 'x', ORIGIN)).toMatchObject({
      ok: false,
      reason: 'verification_failed',
    });
    const again = await ceremonies.registrationOptions(ada, 'session:s');
    expect(await ceremonies.register(ada, 'session:s', JSON.stringify(authenticator.register(again, { flags: FLAGS.UP })), 'x', ORIGIN)).toEqual({
      ok: false,
      reason: 'verification_failed',
      message: 'The passkey could not be verified. Try again.',
      refusal: { key: 'passkeyVerificationFailed' },
    });
    expect(await core.stores.passkeys.listForUser(ada.id)).toEqual([]);

    await enrol(ada);
    expect(await signIn('signin:1', { origin: 'http://login.example.com' })).toMatchObject({ ok: false, reason: 'verification_failed' });
    expect(await signIn('signin:2', { flags: FLAGS.UP })).toMatchObject({ ok: false, reason: 'verification_failed' });
    const elsewhere = new SoftAuthenticator({ rpId: 'example.com', origin: RP.origin });
    const options2 = await ceremonies.authenticationOptions('signin:3');
    const answer = elsewhere.assert(authenticator.credentials.at(-1)!, options2);
    expect(await ceremonies.authenticate('signin:3', JSON.stringify(answer), { ...ORIGIN, clientId: 'app' })).toMatchObject({ ok: false, reason: 'verification_failed' });
  });

  it("refuses a malformed answer, an unknown credential and another person's user handle", async () => {
    await ceremonies.authenticationOptions('signin:m');
    expect(await ceremonies.authenticate('signin:m', '{"id":1}', { ...ORIGIN, clientId: 'app' })).toEqual({
      ok: false,
      reason: 'malformed',
      message: 'The passkey answer could not be read. Try again.',
      refusal: { key: 'passkeyMalformed' },
    });
    const passkey = await enrol(ada);
    const bob = await newUser('bob@example.com');
    expect(await signIn('signin:h', { userHandle: Buffer.from(bob.id).toString('base64url') })).toMatchObject({ ok: false, reason: 'verification_failed' });
    await core.stores.passkeys.remove(ada.id, passkey.id);
    expect(await signIn('signin:u')).toEqual({ ok: false, reason: 'unknown_credential', message: 'This passkey is not registered with Inkan. It may have been removed.', refusal: { key: 'passkeyUnknown' } });
  });

  it('signs no disabled person in', async () => {
    await enrol(ada);
    await core.stores.users.disable(ada.id, clock.nowSeconds());
    expect(await signIn()).toEqual({ ok: false, reason: 'disabled', message: 'This account is disabled.', refusal: { key: 'accountDisabled' } });
    expect(events.at(-1)).toEqual(['failed', 'authentication', 'disabled', { sub: ada.id, credentialId: expect.any(String), clientId: 'app' }]);
  });

  it('refuses a credential registered twice, and one the authenticator did not keep as discoverable', async () => {
    const passkey = await enrol(ada);
    // An authenticator that ignores excludeCredentials attests the same credential again.
    const options = await ceremonies.registrationOptions(ada, 'session:s');
    const again = authenticator.register(options, { again: authenticator.credentials[0]! });
    expect(await ceremonies.register(ada, 'session:s', JSON.stringify(again), 'x', ORIGIN)).toEqual({
      ok: false,
      reason: 'duplicate',
      message: 'This passkey is registered already.',
      refusal: { key: 'passkeyDuplicate' },
    });
    expect(await ceremonies.list(ada.id)).toMatchObject([{ id: passkey.id, name: 'Laptop' }]);

    const rk = await ceremonies.registrationOptions(ada, 'session:s');
    expect(await ceremonies.register(ada, 'session:s', JSON.stringify(authenticator.register(rk, { rk: false })), 'x', ORIGIN)).toEqual({
      ok: false,
      reason: 'not_discoverable',
      message: 'This authenticator cannot keep a passkey. Use another one.',
      refusal: { key: 'passkeyNotDiscoverable' },
    });
  });

  it('renames and removes a passkey for its owner only, telling the observer', async () => {
    const passkey = await enrol(ada);
    const bob = await newUser('bob@example.com');
    expect(await ceremonies.rename(bob.id, passkey.id, 'Mine', ORIGIN)).toBe(false);
    expect(await ceremonies.rename(ada.id, passkey.id, 'Desk', ORIGIN)).toBe(true);
    expect(await ceremonies.remove(bob.id, passkey.id, ORIGIN)).toBe(false);
    expect(await ceremonies.list(ada.id)).toMatchObject([{ id: passkey.id, name: 'Desk' }]);
    expect(await ceremonies.remove(ada.id, passkey.id, ORIGIN)).toBe(true);
    expect(await ceremonies.list(ada.id)).toEqual([]);
    expect(events.slice(1)).toEqual([
      ['renamed', ada.id, passkey.id],
      ['removed', ada.id, passkey.id],
    ]);
  });
});
