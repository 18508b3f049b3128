/**
 * What is recorded of passkeys: one audit line per change and per ceremony's outcome
 * (`passkey.added`, `passkey.renamed`, `passkey.removed`, `passkey.used`, `passkey.failed` with
 * its reason, `cloned` among them) and the `inkan_passkey_ceremonies_total` metric by ceremony and
 * outcome. passkeys/ceremonies.ts tells a `PasskeyObserver`; `passkeyRecorder` is the one the
 * server wires in (deps.ts). A credential is named by `credential_sha256` (16 hex digits of the
 * SHA-256 of its id): ids are public but up to 1,364 characters long.
 */
import crypto from 'node:crypto';
import type { Actor, AuditLog, RequestOrigin } from './audit-log.js';

export type PasskeyCeremony = 'registration' | 'authentication';

/** Why a ceremony was refused; each is a value of the metric's `outcome` label too. */
export type PasskeyFailure =
  /** The browser's answer is not a WebAuthn credential in JSON. */
  | 'malformed'
  /** No challenge is waiting for this sign-in or session (never issued, answered already, or replaced). */
  | 'no_challenge'
  | 'expired_challenge'
  /** No passkey of this id is registered (removed, or never). */
  | 'unknown_credential'
  /** The signature, origin, RP ID, challenge, flags (UP, UV) or user handle did not verify. */
  | 'verification_failed'
  /** The signature counter did not grow: a cloned authenticator (WebAuthn §6.1.1). */
  | 'cloned'
  /** The person is disabled. */
  | 'disabled'
  /** The credential is registered already. */
  | 'duplicate'
  /** The authenticator said it did not keep a discoverable credential (credProps rk=false). */
  | 'not_discoverable';

export type PasskeyOutcome = 'success' | PasskeyFailure;

export interface PasskeyObserver {
  added(origin: RequestOrigin, sub: string, credentialId: string, backupEligible: boolean): void;
  renamed(origin: RequestOrigin, sub: string, credentialId: string): void;
  removed(origin: RequestOrigin, sub: string, credentialId: string): void;
  used(origin: RequestOrigin, sub: string, credentialId: string, clientId: string, synced: boolean): void;
  failed(origin: RequestOrigin, ceremony: PasskeyCeremony, reason: PasskeyFailure, detail: { sub?: string; credentialId?: string; clientId?: string }): void;
}

/** What this needs of the metrics (metrics/metrics.ts `Metrics` has it). */
export interface PasskeyCounter {
  passkeyCeremony(ceremony: PasskeyCeremony, outcome: PasskeyOutcome): void;
}

export function credentialDigest(credentialId: string): string {
  return crypto.createHash('sha256').update(credentialId, 'utf8').digest('hex').slice(0, 16);
}

export function passkeyRecorder(deps: { readonly audit: AuditLog; readonly metrics: PasskeyCounter }): PasskeyObserver {
  const person = (origin: RequestOrigin, sub?: string): Actor => ({ type: 'user', id: sub, requestId: origin.requestId, address: origin.address });
  return {
    added(origin, sub, credentialId, backupEligible) {
      deps.metrics.passkeyCeremony('registration', 'success');
      deps.audit.record({ event: 'passkey.added', sub, credential_sha256: credentialDigest(credentialId), backup_eligible: backupEligible }, person(origin, sub));
    },
    renamed(origin, sub, credentialId) {
      deps.audit.record({ event: 'passkey.renamed', sub, credential_sha256: credentialDigest(credentialId) }, person(origin, sub));
    },
    removed(origin, sub, credentialId) {
      deps.audit.record({ event: 'passkey.removed', sub, credential_sha256: credentialDigest(credentialId) }, person(origin, sub));
    },
    used(origin, sub, credentialId, clientId, synced) {
      deps.metrics.passkeyCeremony('authentication', 'success');
      deps.audit.record({ event: 'passkey.used', sub, credential_sha256: credentialDigest(credentialId), client_id: clientId, synced }, person(origin, sub));
    },
    failed(origin, ceremony, reason, detail) {
      deps.metrics.passkeyCeremony(ceremony, reason);
      deps.audit.record(
        {
          event: 'passkey.failed',
          ceremony,
          reason,
          sub: detail.sub,
          credential_sha256: detail.credentialId === undefined ? undefined : credentialDigest(detail.credentialId),
          client_id: detail.clientId,
        },
        person(origin, detail.sub),
      );
    },
  };
}
