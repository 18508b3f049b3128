/**
 * What is recorded of RFC 8628 device authorizations: one audit line per step (started at the
 * device endpoint, approved or denied by the person, a user code refused at the verification
 * page) and the `inkan_device_authorizations_total` metric by outcome. Codes never appear: a
 * request is named by its random id. The tokens the device then gets are recorded like every
 * grant's (token-issuance.ts). The metric this needs is declared here, so audit/ depends on
 * nothing of metrics/.
 */
import type { Actor, AuditLog } from './audit-log.js';

/** Where a request came from (X-Request-Id, client address). */
export interface DeviceRequestOrigin {
  readonly requestId: string | undefined;
  readonly address: string | undefined;
}

export interface DeviceAuthorizationObserver {
  started(facts: { readonly clientId: string; readonly id: string; readonly scopes: readonly string[] }, origin: DeviceRequestOrigin): void;
  decided(facts: { readonly decision: 'approved' | 'denied'; readonly sub: string; readonly clientId: string; readonly id: string }, origin: DeviceRequestOrigin): void;
  codeRefused(facts: { readonly reason: 'wrong_code' } | { readonly reason: 'throttled'; readonly retryAfterSeconds: number }, origin: DeviceRequestOrigin): void;
}

/** What this needs of the metrics (metrics/metrics.ts `Metrics` has it). */
export interface DeviceAuthorizationCounter {
  deviceAuthorization(outcome: 'started' | 'approved' | 'denied' | 'wrong_code' | 'throttled'): void;
}

export function deviceAuthorizationRecorder(deps: { readonly audit: AuditLog; readonly metrics: DeviceAuthorizationCounter }): DeviceAuthorizationObserver {
  const actor = (type: Actor['type'], id: string | undefined, origin: DeviceRequestOrigin): Actor => ({ type, id, requestId: origin.requestId, address: origin.address });
  return {
    started({ clientId, id, scopes }, origin) {
      deps.metrics.deviceAuthorization('started');
      deps.audit.record({ event: 'device.authorization_started', client_id: clientId, device_authorization_id: id, scope: scopes.join(' ') }, actor('client', clientId, origin));
    },
    decided({ decision, sub, clientId, id }, origin) {
      deps.metrics.deviceAuthorization(decision);
      deps.audit.record({ event: decision === 'approved' ? 'device.approved' : 'device.denied', sub, client_id: clientId, device_authorization_id: id }, actor('user', sub, origin));
    },
    codeRefused(facts, origin) {
      deps.metrics.deviceAuthorization(facts.reason);
      deps.audit.record(
        { event: 'device.code_refused', reason: facts.reason, ...(facts.reason === 'throttled' ? { retry_after_seconds: facts.retryAfterSeconds } : {}) },
        actor('user', undefined, origin),
      );
    },
  };
}
