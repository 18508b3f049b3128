/**
 * The account page's rules, without HTTP (http/endpoints/account.ts renders them): who is signed
 * in, the page's CSRF token, whether a change needs the person to sign in again, and the person's
 * factors (accounts/factors.ts).
 *
 * - Only a live session reaches the page; anyone else is sent through the sign-in page and back
 *   (`Authorizer.startAccountSignIn`).
 * - The CSRF token is an HMAC of the session's secret hash: bound to this session (and rotated
 *   with its secret at every re-authentication), stored nowhere, unreadable cross-site.
 * - Changes (adding or removing a factor, new recovery codes) need a sign-in at most
 *   REAUTHENTICATE_AFTER_SECONDS old (`auth_time`); an older session signs in again first
 *   (password and second factor, prompt=login), then comes back to the page.
 *
 * PASSKEYS plug in here and in http/endpoints/account.ts: the passkey endpoints take a
 * `LiveSession` from `signedIn`, check `csrfMatches` and `mayChange` before a registration, and
 * their store joins `FactorSources` (deps.ts), so the page lists passkeys and `users mfa reset`
 * removes them.
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { SessionStore, UserStore } from '../storage/people.js';
import type { FactorSources, FactorSummary } from '../accounts/factors.js';
import type { TotpEnrolment, TotpFactors } from '../accounts/totp-factors.js';
import type { RecoveryCodes } from '../accounts/recovery-codes.js';
import type { FactorActor, SecondFactorObserver } from '../audit/second-factors.js';
import { findLiveSession, type LiveSession } from './sessions.js';

/** A change on the account page needs a sign-in this recent (seconds). */
export const REAUTHENTICATE_AFTER_SECONDS = 5 * 60;

export interface AccountDeps {
  readonly sessions: SessionStore;
  readonly users: Pick<UserStore, 'find'>;
  readonly clock: Clock;
  readonly factors: Pick<FactorSources, 'list'>;
  readonly totp: Pick<TotpFactors, 'start' | 'pending' | 'confirm' | 'remove' | 'has'>;
  readonly recovery: Pick<RecoveryCodes, 'regenerate' | 'remaining' | 'removeAll'>;
  readonly observer?: SecondFactorObserver | undefined;
}

/** Where a change came from, for the audit line. */
export interface ChangeOrigin {
  readonly requestId?: string | undefined;
  readonly address?: string | undefined;
}

export type TotpConfirmation =
  /** `recoveryCodes`: shown once, when this was the person's first second factor. */
  | { readonly kind: 'verified'; readonly recoveryCodes: readonly string[] | undefined }
  | { readonly kind: 'wrong'; readonly enrolment: TotpEnrolment }
  | { readonly kind: 'gone' };

export class Account {
  constructor(private readonly deps: AccountDeps) {}

  /** The live session of the browser's session cookie, or undefined (then: sign in first). */
  signedIn(sessionSecret: string | undefined): Promise<LiveSession | undefined> {
    return findLiveSession(this.deps, sessionSecret);
  }

  /** The account page's CSRF token for this session. */
  csrfToken(live: LiveSession): string {
    return crypto.createHmac('sha256', Buffer.from(live.session.secretHash, 'hex')).update('inkan account page v1').digest('base64url');
  }

  csrfMatches(live: LiveSession, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const expected = crypto.hash('sha256', this.csrfToken(live), 'buffer');
    return crypto.timingSafeEqual(crypto.hash('sha256', presented, 'buffer'), expected);
  }

  /** Whether the session signed in recently enough to change factors. */
  mayChange(live: LiveSession): boolean {
    return this.deps.clock.nowSeconds() - live.session.authTime <= REAUTHENTICATE_AFTER_SECONDS;
  }

  /** Every factor of the person (every source: TOTP, passkeys…). */
  factors(live: LiveSession): Promise<FactorSummary[]> {
    return this.deps.factors.list(live.user.id);
  }

  recoveryCodesLeft(live: LiveSession): Promise<number> {
    return this.deps.recovery.remaining(live.user.id);
  }

  private actor(live: LiveSession, origin: ChangeOrigin): FactorActor {
    return { sub: live.user.id, requestId: origin.requestId, address: origin.address };
  }

  /** A new authenticator-app enrolment: the secret and URI to show. */
  startTotp(live: LiveSession): Promise<TotpEnrolment> {
    return this.deps.totp.start(live.user.id, live.user.email);
  }

  /**
   * Finishes the enrolment with a right code. The person's first second factor also brings their
   * recovery codes (returned once); a later one leaves the codes as they are.
   */
  async confirmTotp(live: LiveSession, factorId: string, code: string, origin: ChangeOrigin): Promise<TotpConfirmation> {
    const userId = live.user.id;
    const outcome = await this.deps.totp.confirm(userId, factorId, code.replace(/\s/g, ''));
    if (outcome === 'gone') return { kind: 'gone' };
    if (outcome === 'wrong') {
      this.deps.observer?.totpEnrolmentFailed(this.actor(live, origin), factorId);
      const enrolment = await this.deps.totp.pending(userId, factorId, live.user.email);
      return enrolment === undefined ? { kind: 'gone' } : { kind: 'wrong', enrolment };
    }
    this.deps.observer?.totpEnrolled(this.actor(live, origin), factorId);
    const first = (await this.deps.recovery.remaining(userId)) === 0;
    const recoveryCodes = first ? await this.regenerateRecoveryCodes(live, origin) : undefined;
    return { kind: 'verified', recoveryCodes };
  }

  /**
   * Removes an authenticator app. Recovery codes only ever stand in for one at the Code step, so
   * they go with the last one.
   */
  async removeTotp(live: LiveSession, factorId: string, origin: ChangeOrigin): Promise<boolean> {
    const userId = live.user.id;
    if (!(await this.deps.totp.remove(userId, factorId))) return false;
    this.deps.observer?.totpRemoved(this.actor(live, origin), factorId);
    if (!(await this.deps.totp.has(userId))) await this.deps.recovery.removeAll(userId);
    return true;
  }

  /** New recovery codes, replacing them all; shown once. */
  async regenerateRecoveryCodes(live: LiveSession, origin: ChangeOrigin): Promise<string[]> {
    const codes = await this.deps.recovery.regenerate(live.user.id);
    this.deps.observer?.recoveryCodesGenerated(this.actor(live, origin), codes.length);
    return codes;
  }
}
