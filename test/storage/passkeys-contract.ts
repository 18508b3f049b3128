/**
 * Storage contract section for the passkey stores (src/storage/passkeys.ts): a credential is
 * stored with every field as written, registered once (to anyone), listed per person oldest
 * first, renamed and removed only by its owner (one or all); a use is a compare-and-set on the
 * counter with one winner; a challenge is one per binding (a new one replaces it), taken once
 * (one winner among concurrent takes), and purged only once expired, in batches.
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import { DuplicatePasskeyError, type PasskeyRecord, type WebAuthnChallengeRecord } from '../../src/storage/passkeys.js';
import type { CurrentStores } from './contract.js';

const T = 1_700_000_000;

async function withUser(stores: CurrentStores): Promise<string> {
  const id = crypto.randomUUID();
  await stores().users.insert({ id, email: `${id}@example.com`, name: null, passwordHash: 'x', disabledAt: null, createdAt: T });
  return id;
}

function passkey(userId: string, overrides: Partial<PasskeyRecord> = {}): PasskeyRecord {
  return {
    // A credential id may be up to 1023 bytes.
    id: crypto.randomBytes(1023).toString('base64url'),
    userId,
    publicKey: crypto.randomBytes(77).toString('base64url'),
    counter: 0,
    transports: ['internal', 'hybrid'],
    backupEligible: true,
    backedUp: false,
    name: 'Laptop',
    createdAt: T,
    lastUsedAt: null,
    ...overrides,
  };
}

function challenge(overrides: Partial<WebAuthnChallengeRecord> = {}): WebAuthnChallengeRecord {
  return { binding: `login:${crypto.randomUUID()}`, challenge: crypto.randomBytes(32).toString('base64url'), ceremony: 'authentication', userId: null, expiresAt: T + 300, ...overrides };
}

export function passkeyStoresContract(stores: CurrentStores): void {
  it('stores a passkey with every field as written, and finds it by credential id', async () => {
    const userId = await withUser(stores);
    const record = passkey(userId, { counter: 4_294_967_295, transports: [], backupEligible: false, lastUsedAt: T + 5 });
    await stores().passkeys.insert(record);
    expect(await stores().passkeys.find(record.id)).toEqual(record);
    expect(await stores().passkeys.find('no-such-credential')).toBeUndefined();
  });

  it('registers a credential id once, whoever registers it again', async () => {
    const [ada, bob] = [await withUser(stores), await withUser(stores)];
    const record = passkey(ada);
    await stores().passkeys.insert(record);
    await expect(stores().passkeys.insert({ ...record, name: 'again' })).rejects.toBeInstanceOf(DuplicatePasskeyError);
    await expect(stores().passkeys.insert({ ...record, userId: bob })).rejects.toBeInstanceOf(DuplicatePasskeyError);
    expect(await stores().passkeys.find(record.id)).toEqual(record);
  });

  it("lists a person's passkeys oldest first, and nobody else's", async () => {
    const [ada, bob] = [await withUser(stores), await withUser(stores)];
    const second = passkey(ada, { name: 'Phone', createdAt: T + 10 });
    const first = passkey(ada, { name: 'Laptop', createdAt: T });
    await stores().passkeys.insert(second);
    await stores().passkeys.insert(first);
    await stores().passkeys.insert(passkey(bob));
    expect(await stores().passkeys.listForUser(ada)).toEqual([first, second]);
    expect(await stores().passkeys.listForUser('nobody')).toEqual([]);
  });

  it('renames and removes a passkey only for its owner; removes all of one person', async () => {
    const [ada, bob] = [await withUser(stores), await withUser(stores)];
    const [one, two, bobs] = [passkey(ada), passkey(ada, { createdAt: T + 1 }), passkey(bob)];
    for (const record of [one, two, bobs]) await stores().passkeys.insert(record);

    expect(await stores().passkeys.rename(bob, one.id, 'Stolen')).toBe(false);
    expect(await stores().passkeys.rename(ada, one.id, 'Work laptop')).toBe(true);
    expect((await stores().passkeys.find(one.id))?.name).toBe('Work laptop');
    expect(await stores().passkeys.rename(ada, 'no-such-credential', 'x')).toBe(false);

    expect(await stores().passkeys.remove(bob, one.id)).toBe(false);
    expect(await stores().passkeys.remove(ada, one.id)).toBe(true);
    expect(await stores().passkeys.remove(ada, one.id)).toBe(false);
    expect(await stores().passkeys.find(one.id)).toBeUndefined();

    await stores().passkeys.insert(passkey(ada, { createdAt: T + 2 }));
    expect(await stores().passkeys.removeAllForUser(ada)).toBe(2);
    expect(await stores().passkeys.listForUser(ada)).toEqual([]);
    expect(await stores().passkeys.removeAllForUser(ada)).toBe(0);
    expect(await stores().passkeys.listForUser(bob)).toEqual([bobs]);
  });

  it('records a use only against the counter it was checked with: one winner among concurrent uses', async () => {
    const userId = await withUser(stores);
    const record = passkey(userId, { counter: 7 });
    await stores().passkeys.insert(record);
    expect(await stores().passkeys.recordUse(record.id, { previousCounter: 7, counter: 8, backedUp: true, at: T + 60 })).toBe(true);
    expect(await stores().passkeys.find(record.id)).toEqual({ ...record, counter: 8, backedUp: true, lastUsedAt: T + 60 });
    // Checked against 7, but 8 is stored now: refused, nothing changes.
    expect(await stores().passkeys.recordUse(record.id, { previousCounter: 7, counter: 9, backedUp: false, at: T + 70 })).toBe(false);
    expect((await stores().passkeys.find(record.id))?.counter).toBe(8);

    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => stores().passkeys.recordUse(record.id, { previousCounter: 8, counter: 9 + i, backedUp: true, at: T + 80 })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await stores().passkeys.recordUse('no-such-credential', { previousCounter: 0, counter: 1, backedUp: false, at: T })).toBe(false);
  });

  it('keeps one challenge per binding and gives it to one taker, expired or not', async () => {
    const first = challenge({ ceremony: 'registration', userId: 'user-1', binding: 'session:s1' });
    await stores().webAuthnChallenges.put(first);
    const second = { ...first, challenge: crypto.randomBytes(32).toString('base64url'), expiresAt: T + 600 };
    await stores().webAuthnChallenges.put(second);
    expect(await stores().webAuthnChallenges.take('session:s1')).toEqual(second);
    expect(await stores().webAuthnChallenges.take('session:s1')).toBeUndefined();

    const expired = challenge({ expiresAt: T - 1 });
    await stores().webAuthnChallenges.put(expired);
    expect(await stores().webAuthnChallenges.take(expired.binding)).toEqual(expired);

    const contested = challenge();
    await stores().webAuthnChallenges.put(contested);
    const takes = await Promise.all(Array.from({ length: 6 }, () => stores().webAuthnChallenges.take(contested.binding)));
    expect(takes.filter((taken) => taken !== undefined)).toEqual([contested]);
  });

  it('purges only expired challenges, in batches', async () => {
    for (let i = 0; i < 5; i += 1) await stores().webAuthnChallenges.put(challenge({ binding: `old-${i}`, expiresAt: T + 100 }));
    const live = challenge({ binding: 'live', expiresAt: T + 500 });
    await stores().webAuthnChallenges.put(live);
    expect(await stores().webAuthnChallenges.purge(T + 200, 3)).toBe(3);
    expect(await stores().webAuthnChallenges.purge(T + 200, 3)).toBe(2);
    expect(await stores().webAuthnChallenges.purge(T + 200, 3)).toBe(0);
    expect(await stores().webAuthnChallenges.take('live')).toEqual(live);
  });
}
