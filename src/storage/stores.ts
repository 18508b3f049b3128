/**
 * What Inkan keeps, as interfaces. The domain depends on these and never on knex; `knex/` is the
 * one implementation (SQLite and PostgreSQL), and `test/storage/contract.ts` is the suite every
 * implementation must pass.
 *
 * Conventions: times are integer Unix seconds; `find*` returns `undefined` on a miss and the
 * domain decides what a miss means; secrets are only ever stored as hashes.
 */
import type { JWK } from 'jose';

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
}

export interface Stores {
  readonly clients: ClientStore;
  readonly keys: KeyStore;
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
