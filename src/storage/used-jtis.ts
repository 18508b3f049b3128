/**
 * Single use of the `jti`s that prove freshness: client assertions (RFC 7523 §3 item 7, OIDC Core
 * §9) and DPoP proofs (RFC 9449 §11.1). One table shared by every instance on the database, so a
 * replay to another instance is caught too (implemented in knex/used-jti-store.ts; the callers are
 * oauth/client-assertion.ts, oauth/dpop.ts and federation/federated-assertion.ts).
 *
 * A key is SHA-256 of `namespace \0 scope \0 jti` (the scope is the client id, the proof key's
 * thumbprint, or a federated workload's foreign issuer, federation/): two clients may pick the same jti, and an attacker-chosen jti cannot grow a row.
 * A key is remembered until `expiresAt`, chosen by the caller as the moment the assertion or
 * proof would be refused for its age anyway; after that housekeeping may forget it.
 */
import crypto from 'node:crypto';

export interface UsedJtiStore {
  /** Records the key; false when it was already recorded (a replay). Atomic across processes. */
  use(key: string, expiresAt: number): Promise<boolean>;
  /** Deletes up to `limit` keys whose `expiresAt` passed; returns how many went. */
  purge(now: number, limit: number): Promise<number>;
}

export type JtiNamespace = 'client_assertion' | 'dpop_proof' | 'federated_token';

export function usedJtiKey(namespace: JtiNamespace, scope: string, jti: string): string {
  return crypto.createHash('sha256').update(`${namespace}\0${scope}\0${jti}`, 'utf8').digest('hex');
}
