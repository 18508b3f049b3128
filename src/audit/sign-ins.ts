/**
 * What is recorded of every sign-in at the login page: one audit line (`login.succeeded`,
 * `login.failed`, `login.throttled`; the email only as `email_sha256`) and the
 * `inkan_logins_total` metric by outcome. The sign-in step (login/sign-in.ts) tells a
 * `SignInObserver`; `signInRecorder` is the one the server wires in (deps.ts). The metric this
 * needs is declared here, so that audit/ depends on nothing of metrics/.
 */
import { type Actor, type AuditLog, emailDigest } from './audit-log.js';

/** One sign-in attempt, as the person typed it and where it came from. */
export interface SignInAttempt {
  /** Trimmed, as typed: the throttle and the digest normalise it themselves. */
  readonly email: string;
  /** The client the person is signing in to. */
  readonly clientId: string;
  readonly requestId: string | undefined;
  /** By the TRUST_PROXY rule. */
  readonly address: string;
}

export interface SignInObserver {
  throttled(attempt: SignInAttempt, retryAfterSeconds: number): void;
  failed(attempt: SignInAttempt): void;
  succeeded(attempt: SignInAttempt, sub: string): void;
}

/** What this needs of the metrics (metrics/metrics.ts `Metrics` has it). */
export interface SignInCounter {
  login(outcome: 'success' | 'failure' | 'throttled'): void;
}

export function signInRecorder(deps: { readonly audit: AuditLog; readonly metrics: SignInCounter }): SignInObserver {
  const person = (attempt: SignInAttempt, sub?: string): Actor => ({ type: 'user', id: sub, requestId: attempt.requestId, address: attempt.address });
  return {
    throttled(attempt, retryAfterSeconds) {
      deps.metrics.login('throttled');
      deps.audit.record(
        { event: 'login.throttled', email_sha256: emailDigest(attempt.email), client_id: attempt.clientId, retry_after_seconds: retryAfterSeconds },
        person(attempt),
      );
    },
    failed(attempt) {
      deps.metrics.login('failure');
      deps.audit.record({ event: 'login.failed', email_sha256: emailDigest(attempt.email), client_id: attempt.clientId }, person(attempt));
    },
    succeeded(attempt, sub) {
      deps.metrics.login('success');
      deps.audit.record({ event: 'login.succeeded', sub, email_sha256: emailDigest(attempt.email), client_id: attempt.clientId }, person(attempt, sub));
    },
  };
}
