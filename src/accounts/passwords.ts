/**
 * People's passwords: the only import of argon2 in Inkan.
 *
 * argon2id with m = 19456 KiB (19 MiB), t = 2 iterations, p = 1 lane: OWASP's Password Storage
 * Cheat Sheet minimum for argon2id. Hashing runs on the libuv thread pool (the argon2 addon is
 * asynchronous), so a login never blocks the event loop. A stored hash made with other parameters
 * is re-hashed at the next successful login (`needsRehash`).
 *
 * An unknown email is verified against a dummy hash made with the same parameters, so it costs
 * the same time as a wrong password and a response never tells whether the account exists.
 *
 * At most `availableParallelism() - 1` hashes run at once (at least one). argon2 runs off the event
 * loop, but on the same cores: with every core busy hashing, the event loop would get a fraction of
 * its core and token requests would queue behind a login storm. Limiting the hashes keeps a core's
 * worth of time for everything else; during a storm logins wait their turn instead (`npm run bench`
 * measures the token endpoint's p99 during one).
 *
 * In a traced request each hash and check is a span (`password hash`, `password verify`), its
 * wait for a turn included: what a slow sign-in spent here is what an operator looks for.
 */
import argon2 from 'argon2';
import crypto from 'node:crypto';
import os from 'node:os';
import pLimit from 'p-limit';
import { inChildSpan } from '../tracing/spans.js';

const hashing = pLimit(Math.max(1, os.availableParallelism() - 1));

export const ARGON2_PARAMETERS = Object.freeze({
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

/** Passwords longer than this are refused before hashing (argon2 cost should not be a DoS lever). */
export const PASSWORD_MAX_BYTES = 1024;

const HASH_SPAN = Object.freeze({ 'inkan.password.algorithm': 'argon2id', 'inkan.password.operation': 'hash' });
const VERIFY_SPAN = Object.freeze({ 'inkan.password.algorithm': 'argon2id', 'inkan.password.operation': 'verify' });

export function hashPassword(password: string): Promise<string> {
  return inChildSpan('password hash', HASH_SPAN, () => hashing(() => argon2.hash(password, ARGON2_PARAMETERS)));
}

let dummyHash: Promise<string> | undefined;

function dummy(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomBytes(32).toString('base64url'));
  return dummyHash;
}

export interface PasswordCheck {
  readonly matches: boolean;
  /** A new hash to store when the stored one used other parameters. */
  readonly rehashed?: string;
}

/**
 * Verifies a password against a stored hash, or against the dummy hash when there is none (an
 * unknown email): the answer is then always false, after the same amount of work.
 */
export async function checkPassword(password: string, storedHash: string | undefined): Promise<PasswordCheck> {
  const hash = storedHash ?? (await dummy());
  let matches: boolean;
  try {
    matches = Buffer.byteLength(password, 'utf8') <= PASSWORD_MAX_BYTES && (await inChildSpan('password verify', VERIFY_SPAN, () => hashing(() => argon2.verify(hash, password))));
  } catch {
    matches = false;
  }
  if (!matches || storedHash === undefined) return { matches: false };
  if (argon2.needsRehash(storedHash, ARGON2_PARAMETERS)) return { matches: true, rehashed: await hashPassword(password) };
  return { matches: true };
}
