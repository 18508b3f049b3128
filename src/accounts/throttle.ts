/**
 * Brute-force throttling of the login form, per account and per client address, kept in the
 * database so it holds across processes and restarts.
 *
 * Every evaluated attempt is counted *before* the password is checked (and uncounted when it
 * succeeds), so parallel guesses cannot slip through between a check and a write. A key that is
 * blocked is refused without checking the password: the right password too (429 + Retry-After).
 *
 * Per account (the lower-cased email, whether or not such an account exists):
 *   attempts 1–4 free; after the 5th–9th consecutive failure a block of 1, 2, 4, 8, 16 s; after the
 *   10th a block of 15 min, doubling with each further failure up to 1 h. Never permanent: a
 *   block always ends, and a counter untouched for 24 h starts again from zero. A success resets it.
 * Per address (the client IP; IPv6 by its /64 prefix):
 *   20 free, then 1, 2, 4 … s doubling up to 5 min; forgotten after 1 h; a success uncounts itself.
 * Second-factor codes (TOTP and recovery codes at the sign-in's Code step) are throttled the same
 * way, in the same store, under the account rule per person (`second-factor:<sub>`, a key of its
 * own: a right password must not wipe out the count of wrong codes) and the address rule per
 * address (shared with passwords). Only a right code resets the person's code counter.
 * RFC 8628 user codes typed at the device verification page (login/device-verification.ts) have a
 * key of their own per address (`user-code:<address>`) and a stricter rule: a user code has only
 * ~34 bits and anyone may type one, so 4 wrong codes are free, then a block of 1 min doubling up
 * to 1 h, forgotten after 1 h. A right code uncounts itself (it never wipes the count: one real
 * code must not buy an attacker more guesses).
 */
import type { Clock } from '../clock.js';
import { normalizeEmail, type LoginThrottleStore, type ThrottleRule } from '../storage/people.js';

export const ACCOUNT_RULE: ThrottleRule = {
  blockSeconds(failures) {
    if (failures < 5) return 0;
    if (failures < 10) return 2 ** (failures - 5);
    return Math.min(900 * 2 ** (failures - 10), 3600);
  },
  forgetAfterSeconds: 24 * 3600,
};

export const ADDRESS_RULE: ThrottleRule = {
  blockSeconds(failures) {
    if (failures < 20) return 0;
    return Math.min(2 ** (failures - 20), 300);
  },
  forgetAfterSeconds: 3600,
};

export const USER_CODE_RULE: ThrottleRule = {
  blockSeconds(failures) {
    if (failures < 5) return 0;
    return Math.min(60 * 2 ** (failures - 5), 3600);
  },
  forgetAfterSeconds: 3600,
};

/** An IPv6 client controls at least a /64, so that is what one address means. */
export function addressKey(ip: string): string {
  const address = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  if (!address.includes(':')) return `address:${address}`;
  const [head = '', tail = ''] = address.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === '' ? [] : tail.split(':');
  const parts = address.includes('::')
    ? [...headParts, ...Array<string>(Math.max(0, 8 - headParts.length - tailParts.length)).fill('0'), ...tailParts]
    : headParts;
  return `address:${parts.slice(0, 4).map((part) => part.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export function accountKey(email: string): string {
  return `account:${normalizeEmail(email).slice(0, 320)}`;
}

/** The code counter of one person, by sub (not the email: the person is known at that step). */
export function secondFactorKey(userId: string): string {
  return `second-factor:${userId}`;
}

/** The user-code counter of one address. */
export function userCodeKey(ip: string): string {
  return `user-code:${addressKey(ip)}`;
}

export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly retryAfterSeconds: number };

export class LoginThrottle {
  constructor(
    private readonly store: LoginThrottleStore,
    private readonly clock: Clock,
  ) {}

  /** Counts an attempt for both keys, or says how long to wait when either is blocked. */
  admit(email: string, ip: string): Promise<Admission> {
    return this.admitKeys([
      [addressKey(ip), ADDRESS_RULE],
      [accountKey(email), ACCOUNT_RULE],
    ]);
  }

  private async admitKeys(keys: readonly (readonly [string, ThrottleRule])[]): Promise<Admission> {
    const now = this.clock.nowSeconds();
    for (const [key, rule] of keys) {
      const result = await this.store.admit(key, now, rule);
      if (!result.admitted) return { admitted: false, retryAfterSeconds: Math.max(1, result.record.blockedUntil - now) };
    }
    return { admitted: true };
  }

  async succeeded(email: string, ip: string): Promise<void> {
    await this.store.reset(accountKey(email));
    await this.store.forgive(addressKey(ip));
  }

  /** Counts a second-factor code of the person (by sub) from the address, or says how long to wait. */
  admitCode(userId: string, ip: string): Promise<Admission> {
    return this.admitKeys([
      [addressKey(ip), ADDRESS_RULE],
      [secondFactorKey(userId), ACCOUNT_RULE],
    ]);
  }

  /** Counts a user code typed from the address (RFC 8628 §5.1), or says how long to wait. */
  admitUserCode(ip: string): Promise<Admission> {
    return this.admitKeys([[userCodeKey(ip), USER_CODE_RULE]]);
  }

  /** A user code that matched: uncounts its own attempt. */
  async userCodeSucceeded(ip: string): Promise<void> {
    await this.store.forgive(userCodeKey(ip));
  }

  async codeSucceeded(userId: string, ip: string): Promise<void> {
    await this.store.reset(secondFactorKey(userId));
    await this.store.forgive(addressKey(ip));
  }
}
