/**
 * Recovery codes: 10 per person, shown once when the first second factor is verified (and when
 * the person asks for new ones, which replaces them all), each usable once at the sign-in's Code
 * field in place of a TOTP code.
 *
 * A code is 60 random bits (12 base32 characters, shown as `xxxx-xxxx-xxxx`): too many to guess
 * under the login throttle, so a fast hash is enough (SECURITY: argon2 is for what people choose).
 * The hash is keyed, HMAC-SHA-256 under a key derived from the key-encryption key, over the
 * person's id and the code, so a copy of the database alone cannot even test guesses offline.
 * Typed codes are read leniently: case, spaces and dashes do not matter.
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { RecoveryCodeStore } from '../storage/second-factors.js';
import type { FactorSource } from './factors.js';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const CODE_LENGTH = 12;

/** The recovery-code hashing key, derived from the KEK (never stored). */
export function deriveRecoveryCodeKey(keyEncryptionKey: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', keyEncryptionKey, Buffer.alloc(0), 'inkan recovery codes v1', 32));
}

function newCode(): string {
  const bytes = crypto.randomBytes(CODE_LENGTH);
  // 256 is a multiple of 32: every character is uniform.
  const text = [...bytes].map((byte) => ALPHABET[byte % 32]).join('');
  return `${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8)}`;
}

/** What was typed, as the hash sees it; undefined when it cannot be a recovery code. */
function normalize(typed: string): string | undefined {
  const code = typed.toLowerCase().replace(/[\s-]/g, '');
  return code.length === CODE_LENGTH && [...code].every((char) => ALPHABET.includes(char)) ? code : undefined;
}

export interface RecoveryCodesDeps {
  readonly store: RecoveryCodeStore;
  readonly clock: Clock;
  readonly key: Buffer;
}

export class RecoveryCodes implements FactorSource {
  readonly kind = 'recovery' as const;

  constructor(private readonly deps: RecoveryCodesDeps) {}

  private hash(userId: string, normalized: string): string {
    return crypto.createHmac('sha256', this.deps.key).update(`${userId}:${normalized}`).digest('hex');
  }

  /** Not listed as factors: the account page shows how many are left. */
  async list(): Promise<[]> {
    return [];
  }

  /** New codes for the person, replacing every earlier one; returned once, stored only hashed. */
  async regenerate(userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
    await this.deps.store.replaceAll(
      userId,
      codes.map((code) => this.hash(userId, normalize(code)!)),
      this.deps.clock.nowSeconds(),
    );
    return codes;
  }

  /** Uses the code if it is one of the person's unused codes: true exactly once. */
  async use(userId: string, typed: string): Promise<boolean> {
    const normalized = normalize(typed);
    if (normalized === undefined) return false;
    return this.deps.store.use(userId, this.hash(userId, normalized), this.deps.clock.nowSeconds());
  }

  remaining(userId: string): Promise<number> {
    return this.deps.store.countUnused(userId);
  }

  removeAll(userId: string): Promise<number> {
    return this.deps.store.deleteAllForUser(userId);
  }
}
