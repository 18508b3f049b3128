/**
 * People: creating, disabling and re-enabling accounts and setting a password (the `users` CLI
 * and the admin API) and checking a password at login. Ids are random (the `sub` of every
 * token), never derived from the email.
 *
 * A password set by an operator ends every session and refresh family of the person, like
 * `users disable` does (without disabling): an operator sets a password because the old one must
 * stop working (forgotten, leaked, an account taken over), and a session opened with the old one
 * is exactly what an intruder would still hold. Keeping those sessions would make the reset
 * ineffective against the case it exists for (NIST SP 800-63B treats a changed authenticator after
 * compromise this way, and large IdPs sign other sessions out on a password change). The person
 * signs in again with the new password. It is a CAEP credential-change event (and session-revoked,
 * one `txn`) for Shared Signals receivers.
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { UserRecord, UserStore } from '../storage/people.js';
import type { Revoker } from '../revocation/revoker.js';
import type { SecurityEventLog } from '../revocation/security-events.js';
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

/** The rules a password chosen for a person must meet (creation and `users set-password`). */
function checkNewPassword(password: string): void {
  if ([...password].length < PASSWORD_MIN_LENGTH) throw new UserError(`the password must have at least ${PASSWORD_MIN_LENGTH} characters`);
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) throw new UserError(`the password must be at most ${PASSWORD_MAX_BYTES} bytes`);
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
  checkNewPassword(input.password);
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
  const user = await findUser(deps.users, emailOrId);
  const now = deps.clock.nowSeconds();
  await deps.users.disable(user.id, now);
  await deps.revoker.endUser(user.id, { kind: 'account-disabled', initiatedBy: 'admin' });
  deps.audit?.record({ event: 'user.disabled', sub: user.id, email_sha256: emailDigest(user.email) }, actor);
  return user;
}

async function findUser(users: Pick<UserStore, 'find' | 'findByEmail'>, emailOrId: string): Promise<UserRecord> {
  const user = (await users.findByEmail(emailOrId)) ?? (await users.find(emailOrId));
  if (user === undefined) throw new UserError(`no user with the email ${emailOrId}`, 'unknown');
  return user;
}

export interface EnableDeps {
  readonly users: UserStore;
  readonly securityEvents: SecurityEventLog;
  readonly audit?: AuditLog;
}

/**
 * Re-enables a disabled user (the pair of `disableUser`): they may sign in again; nothing ended
 * by the disabling comes back. A user who was not disabled is left as is, and no event is written.
 */
export async function enableUser(deps: EnableDeps, emailOrId: string, actor: Actor = CLI_ACTOR): Promise<UserRecord> {
  const user = await findUser(deps.users, emailOrId);
  if (await deps.users.enable(user.id)) {
    await deps.securityEvents.record([{ kind: 'account-enabled', userId: user.id }], 'admin');
    deps.audit?.record({ event: 'user.enabled', sub: user.id, email_sha256: emailDigest(user.email) }, actor);
  }
  return user;
}

export interface SetPasswordDeps {
  readonly users: UserStore;
  readonly revoker: Pick<Revoker, 'endUser'>;
  readonly audit?: AuditLog;
}

/** An operator sets a new password: the old one stops working and every session ends (see the header). */
export async function setPassword(deps: SetPasswordDeps, emailOrId: string, password: string, actor: Actor = CLI_ACTOR): Promise<UserRecord> {
  checkNewPassword(password);
  const user = await findUser(deps.users, emailOrId);
  await deps.users.updatePasswordHash(user.id, await hashPassword(password));
  const ended = await deps.revoker.endUser(user.id, { kind: 'credential-change', change: { credentialType: 'password', changeType: 'update' }, initiatedBy: 'admin' });
  deps.audit?.record({ event: 'user.password_set', sub: user.id, email_sha256: emailDigest(user.email), sessions_and_families_ended: ended }, actor);
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
