/**
 * The sign-in step of the login page: an email and a password, under the login throttle. The
 * throttle (accounts/throttle.ts) is asked first and counts the attempt before the password is
 * checked (accounts/users.ts); a blocked attempt is refused without a check, the right password
 * included (429 and how long to wait). Each outcome is told to a `SignInObserver`
 * (audit/sign-ins.ts: the audit line and the metric). The texts are what the page shows.
 */
import type { LoginThrottle } from '../accounts/throttle.js';
import { authenticate } from '../accounts/users.js';
import type { SignInAttempt, SignInObserver } from '../audit/sign-ins.js';
import type { UserRecord, UserStore } from '../storage/people.js';

export interface SignInDeps {
  readonly users: UserStore;
  readonly throttle: LoginThrottle;
  readonly observer: SignInObserver | undefined;
}

export type SignInResult =
  | { readonly kind: 'signed-in'; readonly user: UserRecord }
  /** The form again with `message`, answered with `status` (and `Retry-After` when throttled). */
  | { readonly kind: 'refused'; readonly status: number; readonly message: string; readonly retryAfterSeconds?: number };

export async function signIn(deps: SignInDeps, attempt: SignInAttempt, password: string | undefined): Promise<SignInResult> {
  if (attempt.email === '' || password === undefined) return { kind: 'refused', status: 400, message: 'Enter your email and password.' };
  const admission = await deps.throttle.admit(attempt.email, attempt.address);
  if (!admission.admitted) {
    const wait = admission.retryAfterSeconds;
    deps.observer?.throttled(attempt, wait);
    const when = wait < 60 ? `${wait} second${wait === 1 ? '' : 's'}` : `${Math.ceil(wait / 60)} minutes`;
    return { kind: 'refused', status: 429, message: `Too many sign-in attempts. Wait ${when} and try again.`, retryAfterSeconds: wait };
  }
  const user = await authenticate({ users: deps.users }, attempt.email, password);
  if (user === undefined) {
    deps.observer?.failed(attempt);
    return { kind: 'refused', status: 401, message: 'The email or password is not correct.' };
  }
  await deps.throttle.succeeded(attempt.email, attempt.address);
  deps.observer?.succeeded(attempt, user.id);
  return { kind: 'signed-in', user };
}
