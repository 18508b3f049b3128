/**
 * What Inkan keeps, as interfaces. The domain depends on these and never on knex; `knex/` is the
 * one implementation (SQLite and PostgreSQL), and `test/storage/contract.ts` is the suite every
 * implementation must pass.
 *
 * Conventions: times are integer Unix seconds; `find*` returns `undefined` on a miss and the
 * domain decides what a miss means; secrets are only ever stored as hashes.
 */
import type { JWK } from 'jose';
import type { RefreshTokenStore } from '../refresh/refresh-store.js';
import type { RevocationStore } from '../revocation/revocations.js';
import type { StatusListStore } from '../revocation/status-list-store.js';
import type { UsedJtiStore } from '../replay/used-jtis.js';

export type SigningAlg = 'RS256' | 'EdDSA';
export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'EdDSA'];

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface ClientRecord {
  readonly clientId: string;
  readonly name: string;
  /** SHA-256 of the secret, hex; null for clients that do not authenticate with a secret. */
  readonly secretHash: string | null;
  readonly authMethod: ClientAuthMethod;
  readonly grantTypes: readonly string[];
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly resources: readonly string[];
  /** The algorithm of every token issued to this client. */
  readonly alg: SigningAlg;
  /** Public keys of a private_key_jwt client. */
  readonly jwks: { keys: JWK[] } | null;
  readonly createdAt: number;
  /** A first-party client whose users are not asked for consent (`clients create --skip-consent`). */
  readonly skipConsent?: boolean;
  /** Where a private_key_jwt client publishes its JWK Set (`--jwks-uri`), instead of `jwks`. */
  readonly jwksUri?: string | null;
  /** Every token request must carry a DPoP proof (`--require-dpop`, RFC 9449 §5.2). */
  readonly requireDpop?: boolean;
  /** DPoP proofs at the token endpoint must carry a server nonce (`--require-dpop-nonce`, RFC 9449 §8). */
  readonly requireDpopNonce?: boolean;
  /** A legacy confidential client whose code requests may come without PKCE (`--allow-no-pkce`); never a public one. */
  readonly allowNoPkce?: boolean;
}

export interface ClientStore {
  insert(client: ClientRecord): Promise<void>;
  find(clientId: string): Promise<ClientRecord | undefined>;
  list(): Promise<ClientRecord[]>;
  /** Returns false when no such client existed. */
  delete(clientId: string): Promise<boolean>;
}

export type KeyStatus = 'next' | 'active' | 'retiring' | 'revoked';

export interface SigningKeyRecord {
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly status: KeyStatus;
  /** Public members only. */
  readonly publicJwk: JWK;
  /** The PKCS#8 private key sealed with the key-encryption key (see keys/encryption.ts). */
  readonly sealedPrivateKey: string;
  readonly createdAt: number;
  /** When the key became (or becomes) the signing key of its alg. */
  readonly activatedAt: number | null;
  /** When it stopped signing. */
  readonly retiredAt: number | null;
  /** When a retiring key leaves the JWKS: its last signature plus the longest token lifetime. */
  readonly removeAfter: number | null;
  readonly revokedAt: number | null;
}

/** A snapshot of every key and the version it was read at. */
export interface KeySet {
  readonly version: number;
  readonly keys: readonly SigningKeyRecord[];
}

export interface KeyChanges {
  readonly upsert: readonly SigningKeyRecord[];
  readonly remove: readonly string[];
}

export interface KeyStore {
  /** A cheap read that changes whenever any key changes, so processes poll it instead of the keys. */
  version(): Promise<number>;
  snapshot(): Promise<KeySet>;
  /**
   * Compare-and-set: applies the changes and bumps the version in one transaction, only if the
   * version is still `expectedVersion`. Returns false (nothing written) when another process won.
   */
  apply(expectedVersion: number, changes: KeyChanges): Promise<boolean>;
  /**
   * Runs `work` holding the cluster-wide key-change lock (a PostgreSQL advisory lock; SQLite's
   * single writer needs none), so that the processes of a cluster do not even compete for a key
   * change. With `wait` false it returns undefined at once when another process holds the lock.
   * The lock only spares work: the compare-and-set of `apply` remains the guarantee.
   */
  withChangeLock<T>(wait: boolean, work: () => Promise<T>): Promise<T | undefined>;
}

/** What processes sharing the database tell each other about (see knex/change-feed.ts). */
export type ChangeChannel = 'keys' | 'revocations';
export const CHANGE_CHANNELS: readonly ChangeChannel[] = ['keys', 'revocations'];

/** Receives the publisher's payload, or undefined when changes may have been missed (a reconnect). */
export type ChangeListener = (payload: string | undefined) => void;

/**
 * Change fan-out: a write on one process reaches every process's caches at once (PostgreSQL
 * LISTEN/NOTIFY; in-process only on SQLite, where the one-second polls cover other processes).
 * A hint, never the data: listeners re-read the store, and the polls stay as the safety net.
 */
export interface ChangeNotifier {
  publish(channel: ChangeChannel, payload?: string): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(channel: ChangeChannel, listener: ChangeListener): () => void;
  /** True while changes made by other processes are pushed to this one (PostgreSQL, listening). */
  readonly pushing: boolean;
}

export interface Stores {
  readonly clients: ClientStore;
  readonly keys: KeyStore;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly consents: ConsentStore;
  readonly authorizationRequests: AuthorizationRequestStore;
  readonly authorizationCodes: AuthorizationCodeStore;
  readonly loginThrottle: LoginThrottleStore;
  /** Refresh-token families and tokens (interface in refresh/refresh-store.ts). */
  readonly refreshTokens: RefreshTokenStore;
  /** Revocation records (interface in revocation/revocations.ts). */
  readonly revocations: RevocationStore;
  /** Token Status Lists (interface in revocation/status-list-store.ts). */
  readonly statusLists: StatusListStore;
  /** Single use of client assertion and DPoP proof jtis (interface in replay/used-jtis.ts). */
  readonly usedJtis: UsedJtiStore;
  /** Change fan-out between processes (keys, revocations). */
  readonly changes: ChangeNotifier;
  /** Answers when the database is reachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// People (login) — implemented in knex/user-store.ts and knex/session-store.ts (migration 0002).

export interface UserRecord {
  /** Stable random id: the `sub` of the user's tokens (never the email). */
  readonly id: string;
  /** As the user typed it; lookups use the lower-cased form. */
  readonly email: string;
  readonly name: string | null;
  /** argon2id PHC string. */
  readonly passwordHash: string;
  readonly disabledAt: number | null;
  readonly createdAt: number;
}

export interface UserStore {
  insert(user: UserRecord): Promise<void>;
  find(id: string): Promise<UserRecord | undefined>;
  /** Case-insensitive. */
  findByEmail(email: string): Promise<UserRecord | undefined>;
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
  /** Returns false when the user did not exist. */
  disable(id: string, at: number): Promise<boolean>;
}

/** A person's login at Inkan (one browser, one device). Its `id` is the `sid` claim. */
export interface SessionRecord {
  readonly id: string;
  /** SHA-256 of the cookie's random secret. */
  readonly secretHash: string;
  readonly userId: string;
  readonly authTime: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly endedAt: number | null;
}

export interface SessionStore {
  insert(session: SessionRecord): Promise<void>;
  find(id: string): Promise<SessionRecord | undefined>;
  findBySecretHash(secretHash: string): Promise<SessionRecord | undefined>;
  /** A re-authentication in the same session (prompt=login, max_age): new secret, new auth_time. */
  reauthenticate(id: string, secretHash: string, authTime: number): Promise<void>;
  /** Returns false when the session did not exist or had already ended. */
  end(id: string, at: number): Promise<boolean>;
  /** Ends every live session of the user; returns the ids it ended. */
  endAllForUser(userId: string, at: number): Promise<string[]>;
  /** Deletes up to `limit` sessions that ended or expired before `before`; returns how many. */
  purgeOver(before: number, limit: number): Promise<number>;
}

/** The scopes a user allowed a client, remembered so the consent page is shown once. */
export interface ConsentStore {
  find(userId: string, clientId: string): Promise<readonly string[] | undefined>;
  /** Adds the scopes to what the user already allowed the client. */
  grant(userId: string, clientId: string, scopes: readonly string[], at: number): Promise<void>;
}

/** A validated authorization request waiting for the person to sign in and/or consent. */
export interface AuthorizationRequestRecord {
  /** Random, in the login/consent page URLs. */
  readonly id: string;
  /** SHA-256 of the browser-binding cookie: only the browser that started the request can finish it. */
  readonly browserHash: string;
  /** SHA-256 of the CSRF token of the page last rendered for it. */
  readonly csrfHash: string | null;
  readonly request: PendingAuthorization;
  /** Set once the person signed in during this request. */
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly authTime: number | null;
  readonly consented: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The login throttle's key of the address that started it (accounts/throttle.ts `addressKey`). */
  readonly addressKey: string | null;
}

/** The parameters of an authorization request after validation (never re-read from a form). */
export interface PendingAuthorization {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly state: string | null;
  readonly nonce: string | null;
  readonly codeChallenge: string | null;
  readonly prompt: readonly string[];
  readonly maxAgeSeconds: number | null;
  readonly loginHint: string | null;
}

export interface AuthorizationRequestStore {
  insert(record: AuthorizationRequestRecord): Promise<void>;
  find(id: string): Promise<AuthorizationRequestRecord | undefined>;
  update(id: string, changes: Partial<Pick<AuthorizationRequestRecord, 'csrfHash' | 'userId' | 'sessionId' | 'authTime' | 'consented'>>): Promise<void>;
  /** Returns false when the request was already gone: completing a request is decided by this. */
  delete(id: string): Promise<boolean>;
  /** Deletes up to `limit` requests that expired at or before `now`; returns how many. */
  purgeExpired(now: number, limit: number): Promise<number>;
  /** How many requests started from `addressKey` are still live (expire after `now`). */
  countLive(addressKey: string, now: number): Promise<number>;
}

export interface AuthorizationCodeRecord {
  /** SHA-256 of the code. */
  readonly codeHash: string;
  readonly clientId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly nonce: string | null;
  /** S256 challenge; null when the (confidential) client sent none. */
  readonly codeChallenge: string | null;
  readonly authTime: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly consumedAt: number | null;
  /**
   * The grant its exchange started (the access tokens' `grant_id`, and the id of the refresh family
   * when one was started): chosen before the code is consumed and recorded in the same update, so a
   * replay revokes exactly what the code issued. Null until consumed.
   */
  readonly grantId: string | null;
  /** When the code was first presented again after its exchange (a replay). */
  readonly replayedAt: number | null;
}

export interface AuthorizationCodeStore {
  insert(code: AuthorizationCodeRecord): Promise<void>;
  find(codeHash: string): Promise<AuthorizationCodeRecord | undefined>;
  /**
   * Marks the code used and records the grant its exchange starts, in one conditional update:
   * exactly one caller gets true, and a later replay always finds the grant to revoke.
   */
  consume(codeHash: string, at: number, grantId: string): Promise<boolean>;
  /** Records a replay (the first one's time is kept) and returns the code as it is now. */
  markReplayed(codeHash: string, at: number): Promise<AuthorizationCodeRecord | undefined>;
  /** Deletes up to `limit` codes that expired before `before`; returns how many. */
  purgeExpired(before: number, limit: number): Promise<number>;
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
