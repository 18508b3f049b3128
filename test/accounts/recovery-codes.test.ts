/**
 * src/accounts/recovery-codes.ts on real SQLite stores: 10 codes of 60 random bits, stored only
 * as keyed hashes (HMAC under a key derived from the KEK), each used once, read leniently (case,
 * spaces, dashes), another person's code refused, regeneration replacing them all.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveRecoveryCodeKey, RecoveryCodes } from '../../src/accounts/recovery-codes.js';
import type { Core } from '../../src/deps.js';
import { openTestCore, type Closable } from '../helpers/deps.js';

let core: Closable<Core>;
let codes: RecoveryCodes;
const key = deriveRecoveryCodeKey(crypto.randomBytes(32));

beforeAll(async () => {
  core = await openTestCore({ clock: { nowSeconds: () => 1_700_000_000 } });
  codes = new RecoveryCodes({ store: core.stores.recoveryCodes, clock: core.clock, key });
});
afterAll(async () => {
  await core.close();
});

async function person(): Promise<string> {
  const id = crypto.randomUUID();
  await core.stores.users.insert({ id, email: `${id}@example.com`, name: null, passwordHash: 'x', disabledAt: null, createdAt: 0 });
  return id;
}

describe('recovery codes', () => {
  it('makes 10 distinct codes of 12 base32 characters in three groups', async () => {
    const made = await codes.regenerate(await person());
    expect(made).toHaveLength(10);
    expect(new Set(made).size).toBe(10);
    for (const code of made) expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
  });

  it('takes each once, whatever the case, spaces and dashes, and only for its person', async () => {
    const [ada, grace] = [await person(), await person()];
    const [first, second] = await codes.regenerate(ada);
    expect(await codes.use(grace, first!)).toBe(false);
    expect(await codes.use(ada, ` ${first!.toUpperCase().replaceAll('-', ' ')} `)).toBe(true);
    expect(await codes.use(ada, first!)).toBe(false);
    expect(await codes.use(ada, second!.replaceAll('-', ''))).toBe(true);
    expect(await codes.remaining(ada)).toBe(8);
    for (const wrong of ['', 'not-a-code', '0000-0000-0000', 'aaaa-aaaa-aaa']) expect(await codes.use(ada, wrong)).toBe(false);
  });

  it('replaces every old code on regeneration', async () => {
    const ada = await person();
    const old = await codes.regenerate(ada);
    const fresh = await codes.regenerate(ada);
    expect(await codes.use(ada, old[0]!)).toBe(false);
    expect(await codes.use(ada, fresh[0]!)).toBe(true);
    expect(await codes.remaining(ada)).toBe(9);
  });

  it('stores keyed hashes: another key cannot use the codes', async () => {
    const ada = await person();
    const [code] = await codes.regenerate(ada);
    const otherKey = new RecoveryCodes({ store: core.stores.recoveryCodes, clock: core.clock, key: deriveRecoveryCodeKey(crypto.randomBytes(32)) });
    expect(await otherKey.use(ada, code!)).toBe(false);
    expect(await codes.use(ada, code!)).toBe(true);
    expect(await codes.removeAll(ada)).toBe(10);
    expect(await codes.remaining(ada)).toBe(0);
  });
});
