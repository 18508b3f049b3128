/**
 * What is recorded of second factors: every change to a person's factors (enrolled, removed, new
 * recovery codes, an operator's reset) and every code at the sign-in's Code step, as an audit line
 * (`mfa.*`, audit-log.ts) and, for the codes, the `inkan_second_factor_total` metric by method and
 * outcome. The factor modules (accounts/) tell a `SecondFactorObserver`; `secondFactorRecorder` is
 * the one deps.ts wires in. Never a code, a secret or a recovery code: only what happened.
 */
import type { Actor, AuditLog } from './audit-log.js';

export interface FactorActor {
  /** The person's sub. */
  readonly sub: string;
  readonly requestId?: string | undefined;
  readonly address?: string | undefined;
}

export interface CodeEvent extends FactorActor {
  /** The client the person is signing in to ('' for Inkan's account page). */
  readonly clientId: string;
}

export interface SecondFactorObserver {
  totpEnrolled(actor: FactorActor, factorId: string): void;
  totpRemoved(actor: FactorActor, factorId: string): void;
  /** A wrong code while setting up an app on the account page (no throttle: the person made the secret). */
  totpEnrolmentFailed(actor: FactorActor, factorId: string): void;
  recoveryCodesGenerated(actor: FactorActor, count: number): void;
  codeAccepted(event: CodeEvent, method: 'totp' | 'recovery', recoveryCodesLeft?: number): void;
  codeRefused(event: CodeEvent, reason: 'wrong_code' | 'replayed_code'): void;
  codeThrottled(event: CodeEvent, retryAfterSeconds: number): void;
}

/** What this needs of the metrics (metrics/metrics.ts `Metrics` has it). */
export interface SecondFactorCounter {
  secondFactor(method: 'totp' | 'recovery' | 'code', outcome: 'success' | 'failure' | 'replayed' | 'throttled'): void;
}

export function secondFactorRecorder(deps: { readonly audit: AuditLog; readonly metrics: SecondFactorCounter }): SecondFactorObserver {
  const person = (actor: FactorActor): Actor => ({ type: 'user', id: actor.sub, requestId: actor.requestId, address: actor.address });
  return {
    totpEnrolled(actor, factorId) {
      deps.audit.record({ event: 'mfa.totp_enrolled', sub: actor.sub, factor_id: factorId }, person(actor));
    },
    totpRemoved(actor, factorId) {
      deps.audit.record({ event: 'mfa.totp_removed', sub: actor.sub, factor_id: factorId }, person(actor));
    },
    totpEnrolmentFailed(actor, factorId) {
      deps.audit.record({ event: 'mfa.totp_enrolment_failed', sub: actor.sub, factor_id: factorId }, person(actor));
    },
    recoveryCodesGenerated(actor, count) {
      deps.audit.record({ event: 'mfa.recovery_codes_generated', sub: actor.sub, count }, person(actor));
    },
    codeAccepted(event, method, recoveryCodesLeft) {
      deps.metrics.secondFactor(method, 'success');
      deps.audit.record(
        { event: 'mfa.succeeded', sub: event.sub, method, client_id: event.clientId, ...(recoveryCodesLeft === undefined ? {} : { recovery_codes_left: recoveryCodesLeft }) },
        person(event),
      );
    },
    codeRefused(event, reason) {
      deps.metrics.secondFactor(reason === 'replayed_code' ? 'totp' : 'code', reason === 'replayed_code' ? 'replayed' : 'failure');
      deps.audit.record({ event: 'mfa.failed', sub: event.sub, reason, client_id: event.clientId }, person(event));
    },
    codeThrottled(event, retryAfterSeconds) {
      deps.metrics.secondFactor('code', 'throttled');
      deps.audit.record({ event: 'mfa.throttled', sub: event.sub, client_id: event.clientId, retry_after_seconds: retryAfterSeconds }, person(event));
    },
  };
}
