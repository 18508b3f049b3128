/**
 * Second factors as the database keeps them (migration 0017, knex/second-factor-store.ts): TOTP
 * authenticators with their secret sealed (never in clear here) and the last time step each
 * accepted, and recovery codes as keyed hashes, each used once.
 */

export interface TotpFactorRecord {
  readonly id: string;
  readonly userId: string;
  /** AES-256-GCM under the key-encryption key (keys/encryption.ts), the factor id as associated data. */
  readonly sealedSecret: string;
  readonly createdAt: number;
  /** Null until the enrolment's first right code. */
  readonly verifiedAt: number | null;
  /** The last RFC 6238 time step accepted: a code of this step or an earlier one is refused. */
  readonly lastUsedStep: number | null;
}

export interface TotpFactorStore {
  insert(factor: TotpFactorRecord): Promise<void>;
  find(id: string): Promise<TotpFactorRecord | undefined>;
  /** Every factor of the person, enrolments not finished included, oldest first. */
  listForUser(userId: string): Promise<TotpFactorRecord[]>;
  /**
   * Finishes an enrolment: sets `verifiedAt` and `lastUsedStep` of a factor not yet verified, in
   * one conditional update. False when it was verified already or is gone.
   */
  markVerified(id: string, at: number, step: number): Promise<boolean>;
  /**
   * Accepts `step` once: sets `lastUsedStep` only when it is later than the stored one, in one
   * conditional update, so of two concurrent uses of one code exactly one gets true.
   */
  useStep(id: string, step: number): Promise<boolean>;
  /** Returns false when there was no such factor of that person. */
  delete(userId: string, id: string): Promise<boolean>;
  /** Deletes the person's factors (verified or not); returns how many. */
  deleteAllForUser(userId: string): Promise<number>;
}

export interface RecoveryCodeStore {
  /** Replaces every code of the person (used or not) by these hashes, in one transaction. */
  replaceAll(userId: string, codeHashes: readonly string[], at: number): Promise<void>;
  /** Marks the person's unused code used, in one conditional update: true exactly once. */
  use(userId: string, codeHash: string, at: number): Promise<boolean>;
  countUnused(userId: string): Promise<number>;
  /** Returns how many codes (used or not) were deleted. */
  deleteAllForUser(userId: string): Promise<number>;
}
