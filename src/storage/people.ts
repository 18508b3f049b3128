/**
 * People as the database keeps them (migration 0002): users (knex/user-store.ts), their login
 * sessions (knex/session-store.ts) and the login-attempt counters that throttle guessing
 * (knex/login-throttle-store.ts). Passwords are argon2id PHC strings, session secrets SHA-256.
 *
 * "The same email" is defined here, once: the users table keeps every address in this normalised
 * form under a unique index, and lookups, the login throttle and the audit log's digests use it.
 */

/** The one definition of "the same email": trimmed and lower-cased (uniqueness, lookups, throttling). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface UserRecord {
  /** Stable random id: the `sub` of the user's tokens (never the email). */
  readonly id: string;
  /** As the user typed it; lookups use `normalizeEmail`. */
  readonly email: string;
  readonly name: string | null;
  /** argon2id PHC string. */
  readonly passwordHash: string;
  readonly disabledAt: number | null;
  readonly createdAt: number;
}

/** `UserStore.insert` refuses an email some user already has (compared by `normalizeEmail`). */
export class DuplicateEmailError extends Error {
  override readonly name = 'DuplicateEmailError';
}

export interface UserStore {
  /** Rejects with `DuplicateEmailError` when the email is taken. */
  insert(user: UserRecord): Promise<void>;
  find(id: string): Promise<UserRecord | undefined>;
  /** By `normalizeEmail`: case and surrounding spaces do not matter. */
  findByEmail(email: string): Promise<UserRecord | undefined>;
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
  /** Returns false when the user did not exist; a user disabled already keeps its first time. */
  disable(id: string, at: number): Promise<boolean>;
  /** Re-enables a disabled user; false when there is no such user or it was not disabled. */
  enable(id: string): Promise<boolean>;
  /**
   * The operator console's people list: users whose normalised email contains `text` (every user
   * for ''), oldest first, at most `limit`.
   */
  search(text: string, limit: number): Promise<UserRecord[]>;
}

/** A person's login at Inkan (one browser, one device). Its `id` is the `sid` claim. */
export interface SessionRecord {
  readonly id: string;
  /** SHA-256 of the cookie's random secret. */
  readonly secretHash: string;
  readonly userId: string;
  readonly authTime: number;
  /**
   * RFC 8176 methods of the sign-in (or step-up) that set `authTime`: `pwd`, `otp`, `hwk`…
   * (oauth/authentication-context.ts reads them; migration 0017).
   */
  readonly authMethods: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly endedAt: number | null;
}

export interface SessionStore {
  insert(session: SessionRecord): Promise<void>;
  find(id: string): Promise<SessionRecord | undefined>;
  findBySecretHash(secretHash: string): Promise<SessionRecord | undefined>;
  /**
   * A re-authentication or a step-up in the same session (prompt=login, max_age, acr_values):
   * new secret, new auth_time, the methods of this authentication.
   */
  reauthenticate(id: string, secretHash: string, authTime: number, authMethods: readonly string[]): Promise<void>;
  /** Returns false when the session did not exist or had already ended. */
  end(id: string, at: number): Promise<boolean>;
  /** Ends every live session of the user; returns the ids it ended. */
  endAllForUser(userId: string, at: number): Promise<string[]>;
  /** The user's sessions that have not ended and expire after `now`, newest first (the operator console). */
  listLiveForUser(userId: string, now: number): Promise<SessionRecord[]>;
  /** Deletes up to `limit` sessions that ended or expired before `before`; returns how many. */
  purgeOver(before: number, limit: number): Promise<number>;
}

export interface LoginThrottleRecord {
  readonly key: string;
  /** Attempts counted since the last success (or since the counter was forgotten). */
  readonly failures: number;
  readonly lastFailureAt: number;
  /** No attempt is evaluated before this time. */
  readonly blockedUntil: number;
}

export interface ThrottleRule {
  /** How long to block after the n-th counted attempt (0: the next attempt may come at once). */
  blockSeconds(failures: number): number;
  /** A counter untouched this long starts again from zero. */
  readonly forgetAfterSeconds: number;
}

export interface LoginThrottleStore {
  /**
   * Atomically: when the key is blocked at `at`, returns `{admitted: false}` and changes nothing;
   * otherwise counts the attempt (as a failure until `reset`/`forgive`), blocks the key for what
   * the rule says, and returns `{admitted: true}`.
   */
  admit(key: string, at: number, rule: ThrottleRule): Promise<{ admitted: boolean; record: LoginThrottleRecord }>;
  /** Forgets the key (a successful login to the account). */
  reset(key: string): Promise<void>;
  /** Uncounts one attempt (a successful login from the address). */
  forgive(key: string): Promise<void>;
  /** Deletes up to `limit` counters not blocked at `now` whose last attempt was before `lastFailureBefore`. */
  purgeStale(lastFailureBefore: number, now: number, limit: number): Promise<number>;
}
