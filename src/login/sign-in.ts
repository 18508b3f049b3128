/**
 * The sign-in step of the login page: an email and a password, under the login throttle. The
 * throttle (accounts/throttle.ts) is asked first and counts the attempt before the password is
 * checked (accounts/users.ts); a blocked attempt is refused without a check, the right password
 * included (429 and how long to wait). Each outcome is told to a `SignInObserver`
 * (audit/sign-ins.ts: the audit line and the metric). A refusal is a catalogue key (i18n/refusals.ts)
 * that the page shows in its language, and its English text.
 */
import type { LoginThrottle } from '../accounts/throttle.js';
import { authenticate } from '../accounts/users.js';
import type { SignInAttempt, SignInObserver } from '../audit/sign-ins.js';
import type { UserRecord, UserStore } from '../storage/people.js';
import { englishText, type Refusal } from '../i18n/refusals.js';

export interface SignInDeps {
  readonly users: UserStore;
  readonly throttle: LoginThrottle;
  readonly observer: SignInObserver | undefined;
}

export type SignInResult =
  | { readonly kind: 'signed-in'; readonly user: UserRecord }
  /** The form again with `message`, answered with `status` (and `Retry-After` when throttled). */
  | { readonly kind: 'refused'; readonly status: number; readonly message: string; readonly refusal: Refusal; readonly retryAfterSeconds?: number };

function refused(status: number, refusal: Refusal, retryAfterSeconds?: number): SignInResult {
  return { kind: 'refused', status, message: englishText(refusal), refusal, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
}

export async function signIn(deps: SignInDeps, attempt: SignInAttempt, password: string | undefined): Promise<SignInResult> {
  if (attempt.email === '' || password === undefined) return refused(400, { key: 'missingCredentials' });
  const admission = await deps.throttle.admit(attempt.email, attempt.address);
  if (!admission.admitted) {
    const wait = admission.retryAfterSeconds;
    deps.observer?.throttled(attempt, wait);
    return refused(429, { key: 'signInThrottled', waitSeconds: wait }, wait);
  }
  const user = await authenticate({ users: deps.users }, attempt.email, password);
  if (user === undefined) {
    deps.observer?.failed(attempt);
    return refused(401, { key: 'wrongPassword' });
  }
  await deps.throttle.succeeded(attempt.email, attempt.address);
  deps.observer?.succeeded(attempt, user.id);
  return { kind: 'signed-in', user };
}
