/**
 * Signing keys as the database keeps them (implemented in knex/key-store.ts): every key with its
 * status and sealed private half, and one version number that every change bumps, so that the
 * processes of a cluster poll one cheap number and change keys by compare-and-set. Also the
 * algorithms Inkan signs with, which a client record names too.
 */
import type { JWK } from 'jose';

/** RS256 (RSA 2048), EdDSA (Ed25519) and ES256 (ECDSA P-256 with SHA-256, RFC 7518 §3.4). */
export type SigningAlg = 'RS256' | 'EdDSA' | 'ES256';
export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'EdDSA', 'ES256'];

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
   * A change that commits is announced on the `keys` change channel with the new version.
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
