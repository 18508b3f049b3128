/**
 * People: creating and disabling accounts (the `users` CLI) and checking a password at login.
 * Ids are random (the `sub` of every token), never derived from the email.
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { UserRecord, UserStore } from '../storage/people.js';
import type { Revoker } from '../revocation/revoker.js';
import { checkPassword, hashPassword, PASSWORD_MAX_BYTES } from './passwords.js';
import { type Actor, type AuditLog, CLI_ACTOR, emailDigest } from '../audit/audit-log.js';

export class UserError extends Error {
  override readonly name = 'UserError';

  /** What went wrong, for callers that answer differently (the admin API: 400, 409, 404). */
  constructor(
    message: string,
    readonly kind: 'invalid' | 'exists' | 'unknown' = 'invalid',
  ) {
    super(message);
  }
}

export const EMAIL_MAX_LENGTH = 320;
const PASSWORD_MIN_LENGTH = 8;
// Deliberately loose: one @, something on each side, no spaces or control characters.
const EMAIL_SHAPE = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u;

export function isEmailShaped(email: string): boolean {
  return email.length <= EMAIL_MAX_LENGTH && EMAIL_SHAPE.test(email);
}

export interface NewUser {
  readonly email: string;
  readonly name?: string | undefined;
  readonly password: string;
}

export async function createUser(deps: { users: UserStore; clock: Clock; audit?: AuditLog }, input: NewUser, actor: Actor = CLI_ACTOR): Promise<UserRecord> {
  const email = input.email.trim();
  if (!isEmailShaped(email)) throw new UserError('--email must be an email address');
  const name = input.name?.trim();
  if (name !== undefined && (name === '' || name.length > 200)) throw new UserError('--name must be 1 to 200 characters');
  if ([...input.password].length < PASSWORD_MIN_LENGTH) throw new UserError(`the password must have at least ${PASSWORD_MIN_LENGTH} characters`);
  if (Buffer.byteLength(input.password, 'utf8') > PASSWORD_MAX_BYTES) throw new UserError(`the password must be at most ${PASSWORD_MAX_BYTES} bytes`);
  if ((await deps.users.findByEmail(email)) !== undefined) throw new UserError(`a user with the email ${email} already exists`, 'exists');
  const user: UserRecord = {
    id: crypto.randomUUID(),
    email,
    name: name ?? null,
    passwordHash: await hashPassword(input.password),
    disabledAt: null,
    createdAt: deps.clock.nowSeconds(),
  };
  try {
    await deps.users.insert(user);
  } catch (error) {
    // Two concurrent creations: the unique index decides.
    if ((error as Error).name === 'DuplicateEmailError') throw new UserError(`a user with the email ${email} already exists`, 'exists');
    throw error;
  }
  deps.audit?.record({ event: 'user.created', sub: user.id, email_sha256: emailDigest(email) }, actor);
  return user;
}

export interface DisableDeps {
  readonly users: UserStore;
  readonly clock: Clock;
  readonly revoker: Pick<Revoker, 'endUser'>;
  readonly audit?: AuditLog;
}

/** Disables the user now and logs them out everywhere (sessions, refresh families, access tokens). */
export async function disableUser(deps: DisableDeps, emailOrId: string, actor: Actor = CLI_ACTOR): Promise<UserRecord> {
  const user = (await deps.users.findByEmail(emailOrId)) ?? (await deps.users.find(emailOrId));
  if (user === undefined) throw new UserError(`no user with the email ${emailOrId}`, 'unknown');
  const now = deps.clock.nowSeconds();
  await deps.users.disable(user.id, now);
  await deps.revoker.endUser(user.id);
  deps.audit?.record({ event: 'user.disabled', sub: user.id, email_sha256: emailDigest(user.email) }, actor);
  return user;
}

/**
 * Checks an email and password. Unknown email, disabled account and wrong password all answer
 * `undefined` after the same argon2 work. A hash with outdated parameters is replaced.
 */
export async function authenticate(deps: { users: UserStore }, email: string, password: string): Promise<UserRecord | undefined> {
  const user = isEmailShaped(email.trim()) ? await deps.users.findByEmail(email) : undefined;
  const check = await checkPassword(password, user?.passwordHash);
  if (!check.matches || user === undefined || user.disabledAt !== null) return undefined;
  if (check.rehashed !== undefined) await deps.users.updatePasswordHash(user.id, check.rehashed);
  return user;
}
