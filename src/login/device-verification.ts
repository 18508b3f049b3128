/**
 * The verification page's rules (RFC 8628 §3.3), without HTTP: the person types the user code
 * their device shows (or arrives with it in `verification_uri_complete`) and presses Continue;
 * a code of a live, undecided device authorization hands over to the authorizer's sign-in and
 * consent steps (authorizer.ts `startDeviceApproval`).
 *
 * Guessing is throttled per client address (§5.1, accounts/throttle.ts `admitUserCode`): every
 * typed code is counted before it is looked up, and a right one uncounts itself. A code that is
 * malformed, unknown, expired or already decided is one answer, `wrong_code`, so the page tells a
 * guesser nothing about which codes exist.
 *
 * The code form carries a CSRF token bound to the browser-binding cookie: an HMAC of the cookie's
 * value (which a cross-site page can neither read nor set), so the form needs no stored state
 * before a code is typed.
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Stores } from '../storage/stores.js';
import { OAuthError } from '../oauth/errors.js';
import { normalizeUserCode, userCodeHash } from '../oauth/device-codes.js';
import type { LoginThrottle } from '../accounts/throttle.js';
import type { DeviceAuthorizationObserver } from '../audit/device-authorizations.js';
import type { Authorizer } from './authorizer.js';
import type { BrowserCookies, Step } from './steps.js';

export interface DeviceVerificationDeps {
  readonly stores: Pick<Stores, 'deviceAuthorizations' | 'clients'>;
  readonly clock: Clock;
  readonly userCodeKey: Buffer;
  readonly throttle: Pick<LoginThrottle, 'admitUserCode' | 'userCodeSucceeded'>;
  readonly authorizer: Pick<Authorizer, 'startDeviceApproval'>;
  readonly observer?: DeviceAuthorizationObserver;
}

/** Why a typed code was refused; the page words each (http/html/pages.ts). */
export type CodeRefusal = { readonly reason: 'wrong_code' } | { readonly reason: 'throttled'; readonly retryAfterSeconds: number };

export type CodeOutcome = Step | ({ readonly kind: 'refused' } & CodeRefusal);

export class DeviceVerification {
  constructor(private readonly deps: DeviceVerificationDeps) {}

  /** The code form's CSRF token for this browser. */
  csrfToken(browserSecret: string): string {
    return crypto.createHmac('sha256', this.deps.userCodeKey).update(`device-verification-csrf\0${browserSecret}`, 'utf8').digest('base64url');
  }

  private csrfMatches(browserSecret: string, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const expected = Buffer.from(this.csrfToken(browserSecret));
    const actual = Buffer.from(presented);
    return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
  }

  /** POST of the code form: on to the sign-in, or refused. */
  async submit(typed: string | undefined, csrf: string | undefined, cookies: BrowserCookies, clientAddress: string, requestId?: string): Promise<CodeOutcome> {
    if (!this.csrfMatches(cookies.browserSecret, csrf)) {
      throw new OAuthError('invalid_request', 'the form has expired or did not come from this site (CSRF token mismatch)', { status: 403 });
    }
    const origin = { requestId, address: clientAddress };
    const admission = await this.deps.throttle.admitUserCode(clientAddress);
    if (!admission.admitted) {
      this.deps.observer?.codeRefused({ reason: 'throttled', retryAfterSeconds: admission.retryAfterSeconds }, origin);
      return { kind: 'refused', reason: 'throttled', retryAfterSeconds: admission.retryAfterSeconds };
    }
    const normalized = normalizeUserCode(typed ?? '');
    const record = normalized === undefined ? undefined : await this.deps.stores.deviceAuthorizations.findByUserCode(userCodeHash(this.deps.userCodeKey, normalized));
    const live = record !== undefined && record.status === 'pending' && record.expiresAt > this.deps.clock.nowSeconds();
    const client = live ? await this.deps.stores.clients.find(record.clientId) : undefined;
    if (!live || client === undefined) {
      this.deps.observer?.codeRefused({ reason: 'wrong_code' }, origin);
      return { kind: 'refused', reason: 'wrong_code' };
    }
    await this.deps.throttle.userCodeSucceeded(clientAddress);
    return this.deps.authorizer.startDeviceApproval({ id: record.id, clientId: client.clientId, scopes: record.scopes }, cookies, clientAddress);
  }
}
