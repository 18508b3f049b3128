/**
 * The keys a running process signs with and publishes, held in memory.
 *
 * Loading unseals every published key (so a key that cannot be decrypted stops start-up, named)
 * and prepares everything the hot paths need: one signer per alg with its KeyObject imported,
 * the JWKS body serialised once with its ETag, and the jose key lookup that Inkan's own checks of
 * its tokens use. `refresh()` costs one tiny query and reloads only
 * when another process (the CLI, the scheduler, another instance) changed the keys.
 */
import crypto from 'node:crypto';
import { createLocalJWKSet } from 'jose';
import type { Clock } from '../clock.js';
import type { KeySet, KeyStore, SigningAlg } from '../storage/keys.js';
import type { KeySealer } from './encryption.js';
import { jwtSigner, type JwtSigner } from './jwt-signer.js';
import { publishedKeys } from './lifecycle.js';
import { importPkcs8 } from './material.js';

export interface PublishedJwks {
  /** The JWKS document, encoded once per key change. */
  readonly body: Buffer;
  readonly etag: string;
}

interface Loaded {
  readonly version: number;
  readonly signers: ReadonlyMap<SigningAlg, JwtSigner>;
  readonly jwks: PublishedJwks;
  readonly verificationKeys: VerificationKeys;
}

/** jose's key lookup over the published keys: what Inkan verifies its own tokens with. */
export type VerificationKeys = ReturnType<typeof createLocalJWKSet>;

/**
 * The alg of what Inkan signs for no client in particular: status list tokens and the revocation
 * feed's Security Event Tokens. A client's tokens use the client's alg (`clients create --alg`);
 * these are shared by every resource server, so one alg signs them all, and it stays EdDSA
 * whatever algs clients pick: the fastest to sign and to verify of the three (docs/performance.md),
 * deterministic, and the one they were always signed with, so verifiers that pinned it keep working.
 * Every verifier of them (the SDK, any status-list reader) picks the key by `kid` from the JWKS.
 * The one exception is deliberate: Shared Signals SETs are signed RS256, the alg the CAEP
 * interoperability profile requires of a transmitter (shared-signals/transmitter.ts).
 */
export const ISSUER_TOKEN_ALG: SigningAlg = 'EdDSA';

export class NoActiveKeyError extends Error {
  override readonly name = 'NoActiveKeyError';
}

export class Keyring {
  private loaded: Loaded | undefined;

  constructor(
    private readonly keyStore: KeyStore,
    private readonly sealer: KeySealer,
    private readonly clock: Clock,
  ) {}

  /** (Re)loads from a snapshot; throws KeyEncryptionError naming the first key it cannot unseal. */
  async load(snapshot?: KeySet): Promise<void> {
    const { version, keys } = snapshot ?? (await this.keyStore.snapshot());
    // Two reloads may overlap (the poll and a change notification): never go back to older keys.
    if (this.loaded !== undefined && version < this.loaded.version) return;
    const published = publishedKeys(keys, this.clock.nowSeconds());
    const signers = new Map<SigningAlg, JwtSigner>();
    for (const key of published) {
      const privateKey = importPkcs8(this.sealer.unseal(key.kid, key.sealedPrivateKey));
      if (key.status === 'active') signers.set(key.alg, jwtSigner(key.kid, key.alg, privateKey));
    }
    const body = Buffer.from(JSON.stringify({ keys: published.map((key) => key.publicJwk) }), 'utf8');
    const etag = `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const verificationKeys = createLocalJWKSet({ keys: published.map((key) => key.publicJwk) });
    this.loaded = { version, signers, jwks: { body, etag }, verificationKeys };
  }

  /** Reloads when the stored key-state version moved; returns true when it did. */
  async refresh(): Promise<boolean> {
    const version = await this.keyStore.version();
    if (this.loaded !== undefined && version === this.loaded.version) return false;
    await this.load();
    return true;
  }

  get version(): number {
    return this.state().version;
  }

  signer(alg: SigningAlg): JwtSigner {
    const signer = this.state().signers.get(alg);
    if (signer === undefined) throw new NoActiveKeyError(`no active ${alg} signing key`);
    return signer;
  }

  hasActiveKey(alg: SigningAlg): boolean {
    return this.loaded?.signers.has(alg) ?? false;
  }

  jwks(): PublishedJwks {
    return this.state().jwks;
  }

  /** The published keys as a jose key lookup, built once per load (ID-token hints, own access tokens). */
  verificationKeys(): VerificationKeys {
    return this.state().verificationKeys;
  }

  private state(): Loaded {
    if (this.loaded === undefined) throw new Error('keyring used before load()');
    return this.loaded;
  }
}
