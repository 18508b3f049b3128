/**
 * A person's TOTP authenticators (RFC 6238, accounts/totp.ts): enrolment, the check at sign-in,
 * removal. The secret is sealed with the key-encryption key before it is stored, like signing keys
 * (keys/encryption.ts, AES-256-GCM, the factor id as associated data so a sealed secret cannot be
 * moved to another row), so a copy of the database alone yields no secret.
 *
 * - Enrolment: `start` stores a new factor unverified (replacing any other unfinished enrolment
 *   of the person) and returns its secret once, for the page; `confirm` verifies it only with a
 *   right code, which also counts as that code's use.
 * - Each code is accepted once (RFC 6238 §5.2): the store keeps the last accepted time step per
 *   factor and accepts a step only when it is later, in one conditional update, so a code seen by
 *   a shoulder-surfer, a phishing proxy or a second tab is refused, concurrently too.
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import { KeyEncryptionError, type KeySealer } from '../keys/encryption.js';
import type { TotpFactorRecord, TotpFactorStore } from '../storage/second-factors.js';
import type { FactorSource, FactorSummary } from './factors.js';
import { matchTotp, newTotpSecret, totpSecretText, totpUri } from './totp.js';

export interface TotpFactorsDeps {
  readonly store: TotpFactorStore;
  readonly sealer: Pick<KeySealer, 'seal' | 'unseal'>;
  readonly clock: Clock;
  /** The `issuer` of the otpauth URI: what the app shows above the code. */
  readonly issuerName: string;
}

export interface TotpEnrolment {
  readonly factorId: string;
  /** Base32, as apps take it when typed. */
  readonly secret: string;
  /** `otpauth://totp/…`, for the QR code. */
  readonly uri: string;
}

/** At sign-in: which factor matched, or why none did. */
export type TotpCheck = { readonly kind: 'accepted'; readonly factorId: string } | { readonly kind: 'replayed' } | { readonly kind: 'wrong' };

const LABEL = 'Authenticator app';

export class TotpFactors implements FactorSource {
  readonly kind = 'totp' as const;

  constructor(private readonly deps: TotpFactorsDeps) {}

  private secretOf(factor: TotpFactorRecord): Buffer {
    try {
      return this.deps.sealer.unseal(`totp:${factor.id}`, factor.sealedSecret);
    } catch (error) {
      // The sealer names what it opens a signing key; say what this is, for the operator's log.
      if (error instanceof KeyEncryptionError) {
        throw new KeyEncryptionError(`the authenticator app ${factor.id} cannot be unsealed with this key-encryption key (check KEYS_DIR or KEY_ENCRYPTION_KEY)`);
      }
      throw error;
    }
  }

  async list(userId: string): Promise<FactorSummary[]> {
    const factors = await this.deps.store.listForUser(userId);
    return factors
      .filter((factor) => factor.verifiedAt !== null)
      .map((factor) => ({ id: factor.id, kind: 'totp', label: LABEL, createdAt: factor.createdAt, lastUsedAt: null }));
  }

  /** A new unverified factor (any unfinished one of the person is dropped). */
  async start(userId: string, account: string): Promise<TotpEnrolment> {
    for (const factor of await this.deps.store.listForUser(userId)) {
      if (factor.verifiedAt === null) await this.deps.store.delete(userId, factor.id);
    }
    const factorId = crypto.randomUUID();
    const secret = newTotpSecret();
    await this.deps.store.insert({
      id: factorId,
      userId,
      sealedSecret: this.deps.sealer.seal(`totp:${factorId}`, secret),
      createdAt: this.deps.clock.nowSeconds(),
      verifiedAt: null,
      lastUsedStep: null,
    });
    return { factorId, secret: totpSecretText(secret), uri: totpUri(secret, this.deps.issuerName, account) };
  }

  /** The enrolment shown again (a wrong code re-renders the page with the same secret). */
  async pending(userId: string, factorId: string, account: string): Promise<TotpEnrolment | undefined> {
    const factor = await this.deps.store.find(factorId);
    if (factor === undefined || factor.userId !== userId || factor.verifiedAt !== null) return undefined;
    const secret = this.secretOf(factor);
    return { factorId, secret: totpSecretText(secret), uri: totpUri(secret, this.deps.issuerName, account) };
  }

  /** Finishes an enrolment with a right code: 'verified', 'wrong', or 'gone' (no such unfinished enrolment). */
  async confirm(userId: string, factorId: string, code: string): Promise<'verified' | 'wrong' | 'gone'> {
    const factor = await this.deps.store.find(factorId);
    if (factor === undefined || factor.userId !== userId || factor.verifiedAt !== null) return 'gone';
    const now = this.deps.clock.nowSeconds();
    const step = matchTotp(this.secretOf(factor), code, now);
    if (step === undefined) return 'wrong';
    return (await this.deps.store.markVerified(factorId, now, step)) ? 'verified' : 'gone';
  }

  /** A code at sign-in, against each of the person's verified factors. */
  async check(userId: string, code: string): Promise<TotpCheck> {
    const now = this.deps.clock.nowSeconds();
    let replayed = false;
    for (const factor of await this.deps.store.listForUser(userId)) {
      if (factor.verifiedAt === null) continue;
      const step = matchTotp(this.secretOf(factor), code, now);
      if (step === undefined) continue;
      if (await this.deps.store.useStep(factor.id, step)) return { kind: 'accepted', factorId: factor.id };
      replayed = true;
    }
    return replayed ? { kind: 'replayed' } : { kind: 'wrong' };
  }

  /** Whether the person has a verified factor. */
  async has(userId: string): Promise<boolean> {
    return (await this.list(userId)).length > 0;
  }

  remove(userId: string, factorId: string): Promise<boolean> {
    return this.deps.store.delete(userId, factorId);
  }

  removeAll(userId: string): Promise<number> {
    return this.deps.store.deleteAllForUser(userId);
  }
}
