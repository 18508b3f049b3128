/**
 * Registered clients as the database keeps them (implemented in knex/client-store.ts). Secrets are
 * stored only as SHA-256; the fields added by later issues are optional, so a record written
 * before them still reads.
 */
import type { JWK } from 'jose';
import type { SigningAlg } from './keys.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'federated' | 'none';

/**
 * A workload client's trust in a foreign issuer (`--auth-method federated`, RFC 7523 §2.2 with
 * that issuer's JWTs; federation/): whose tokens it authenticates with, and what they must say.
 */
export interface FederatedCredential {
  /** The foreign issuer's identifier, compared with the token's `iss` exactly. */
  readonly issuer: string;
  /** The token's `sub`, exactly (e.g. `system:serviceaccount:ns:name`, `repo:org/repo:ref:refs/heads/main`). */
  readonly subject: string;
  /** Where the issuer's keys are; null: found through `<issuer>/.well-known/openid-configuration`. */
  readonly jwksUri: string | null;
  /** What the token's `aud` must contain; null: Inkan's issuer identifier. */
  readonly audience: string | null;
  /** Further top-level claims the token must carry with exactly these string values. */
  readonly claims: Readonly<Record<string, string>>;
}

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
  /** OpenID Connect Back-Channel Logout 1.0 §2.2: where logout tokens are POSTed (`--backchannel-logout-uri`); null for none. */
  readonly backchannelLogoutUri?: string | null;
  /** §2.2: the client requires `sid` in its logout tokens (Inkan always sends one). */
  readonly backchannelLogoutSessionRequired?: boolean;
  /** The foreign issuer a `federated` client authenticates with; null for every other client. */
  readonly federation?: FederatedCredential | null;
  /** RFC 7591 §2 `logo_uri` (https, `--logo-uri`): shown on the consent page; null for none. */
  readonly logoUri?: string | null;
}

export interface ClientStore {
  /** Refuses (rejects) a second client with the same client_id. */
  insert(client: ClientRecord): Promise<void>;
  find(clientId: string): Promise<ClientRecord | undefined>;
  /** Every client, oldest first. */
  list(): Promise<ClientRecord[]>;
  /** Returns false when no such client existed. */
  delete(clientId: string): Promise<boolean>;
}
