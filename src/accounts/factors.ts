/**
 * What the sign-in and the account page need to know of a person's factors beyond the password,
 * whatever kind they are. Each kind is a `FactorSource`: TOTP authenticators
 * (accounts/totp-factors.ts) and recovery codes (accounts/recovery-codes.ts) here, passkeys from
 * their own module. `FactorSources` is the list deps.ts builds; an operator's `users mfa reset`
 * removes what every source holds (admin/operations.ts), the account page lists every source's
 * factors, and the sign-in asks which kinds a person can present.
 *
 * A new kind of factor (passkeys) joins by adding one source to the list in deps.ts.
 */
import type { Refusal } from '../i18n/refusals.js';

/** One factor as the account page lists it. */
export interface FactorSummary {
  readonly id: string;
  readonly kind: FactorKind;
  /** What the page shows: "Authenticator app", a passkey's name… */
  readonly label: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/** `recovery` is never listed as a factor of its own: the account page shows how many are left. */
export type FactorKind = 'totp' | 'recovery' | 'passkey';

export interface FactorSource {
  readonly kind: FactorKind;
  /** The person's usable factors of this kind (enrolments not finished excluded). */
  list(userId: string): Promise<readonly FactorSummary[]>;
  /** Removes every factor of this kind the person holds; returns how many. */
  removeAll(userId: string): Promise<number>;
}

/** What the person can present beyond a password. */
export interface HeldFactors {
  /** A TOTP authenticator (and so the sign-in's Code field; recovery codes work there too). */
  readonly code: boolean;
  readonly passkey: boolean;
}

export class FactorSources {
  constructor(readonly sources: readonly FactorSource[]) {}

  /** Every usable factor, of every kind, oldest first. */
  async list(userId: string): Promise<FactorSummary[]> {
    const lists = await Promise.all(this.sources.map((source) => source.list(userId)));
    return lists.flat().sort((a, b) => a.createdAt - b.createdAt);
  }

  async held(userId: string): Promise<HeldFactors> {
    const factors = await this.list(userId);
    return { code: factors.some((factor) => factor.kind === 'totp'), passkey: factors.some((factor) => factor.kind === 'passkey') };
  }

  /** Removes every factor of every kind; returns how many were removed. */
  async removeAll(userId: string): Promise<number> {
    let removed = 0;
    for (const source of this.sources) removed += await source.removeAll(userId);
    return removed;
  }
}

/** A code typed at the sign-in's Code field, by the person whose password (or session) is verified. */
export interface CodeAttempt {
  readonly userId: string;
  /** As the user record has it: the throttle and the audit digest key on it. */
  readonly email: string;
  /** The client the person is signing in to (empty for Inkan's own account page). */
  readonly clientId: string;
  readonly requestId: string | undefined;
  /** By the TRUST_PROXY rule. */
  readonly address: string;
}

export type CodeOutcome =
  | { readonly kind: 'accepted'; readonly via: 'totp' | 'recovery' }
  /** The page again with `message`, answered with `status` (and `Retry-After` when throttled). */
  | { readonly kind: 'refused'; readonly status: number; readonly message: string; readonly refusal: Refusal; readonly retryAfterSeconds?: number };

/** The sign-in's second step: a TOTP code or a recovery code (accounts/second-factor-codes.ts). */
export interface SecondFactorCodes {
  check(attempt: CodeAttempt, code: string | undefined): Promise<CodeOutcome>;
}
