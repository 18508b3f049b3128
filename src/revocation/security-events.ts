/**
 * The security-event log: what happened to a person and why, in the vocabulary of OpenID CAEP 1.0
 * and RISC 1.0, for the Shared Signals transmitter (shared-signals/) to fan out to its streams.
 *
 * Why a log of its own, beside the revocation records: a revocation record says WHAT no longer
 * verifies (tokens of a subject, of a session), never WHY, and `users disable` and `tokens revoke
 * --email` write the very same `subject` record. Receivers want the why (RISC account-disabled is
 * not CAEP session-revoked), and some events end nothing at all (account-enabled, a second factor
 * added). So the one revocation path (revoker.ts) takes this log as a required dependency and
 * writes the cause next to each person or session it ends; the account operations that end
 * nothing (`users enable`, a factor added or removed) write through the same log. Nothing else
 * writes it. The revocation records and the SSE feed stay as they are.
 *
 * Events of one cause share a `txn` (SSF 1.0 §4.1.8): `users disable` is account-disabled and
 * session-revoked, a new password is credential-change and session-revoked. Each `record` call is
 * one cause. The log is appended after the revocation it explains (revoker.ts): a crash between
 * the two loses the explanation, never the revocation.
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { NewSecurityEvent, SecurityEventStore } from '../storage/shared-signals.js';
import type { SecondFactorObserver } from '../audit/second-factors.js';

/** CAEP 1.0 §2 `initiating_entity`. */
export type InitiatingEntity = 'admin' | 'user' | 'policy' | 'system';

/** CAEP 1.0 §3.3 credential types Inkan has (`password`; an authenticator app is `app`, a passkey `fido2-platform`/`fido2-roaming`). */
export type CredentialType = 'password' | 'pin' | 'x509' | 'fido2-platform' | 'fido2-roaming' | 'fido-u2f' | 'verifiable-credential' | 'phone-voice' | 'phone-sms' | 'app';
export type CredentialChangeType = 'create' | 'revoke' | 'update' | 'delete';

export interface CredentialChange {
  readonly credentialType: CredentialType;
  readonly changeType: CredentialChangeType;
  /** CAEP `friendly_name`, e.g. a passkey's name. */
  readonly friendlyName?: string;
}

/** One thing that happened to a person (or one of their sessions). */
export type SecurityEvent =
  | { readonly kind: 'session-revoked'; readonly userId: string; readonly sessionId?: string }
  | { readonly kind: 'account-disabled'; readonly userId: string }
  | { readonly kind: 'account-enabled'; readonly userId: string }
  | { readonly kind: 'credential-change'; readonly userId: string; readonly change: CredentialChange };

export type SecurityEventKind = SecurityEvent['kind'];
export const SECURITY_EVENT_KINDS: readonly SecurityEventKind[] = ['session-revoked', 'account-disabled', 'account-enabled', 'credential-change'];

export interface SecurityEventLog {
  /** Appends the events of one cause (one `txn`), in order. */
  record(events: readonly SecurityEvent[], initiatedBy: InitiatingEntity): Promise<void>;
}

export function securityEventLog(deps: { readonly store: Pick<SecurityEventStore, 'append'>; readonly clock: Clock }): SecurityEventLog {
  return {
    async record(events, initiatedBy) {
      const txn = crypto.randomUUID();
      const occurredAt = deps.clock.nowSeconds();
      await deps.store.append(events.map((event): NewSecurityEvent => toRecord(event, txn, initiatedBy, occurredAt)));
    },
  };
}

function toRecord(event: SecurityEvent, txn: string, initiatingEntity: InitiatingEntity, occurredAt: number): NewSecurityEvent {
  const base = { type: event.kind, userId: event.userId, sessionId: null, txn, initiatingEntity, details: null, occurredAt };
  switch (event.kind) {
    case 'session-revoked':
      return { ...base, sessionId: event.sessionId ?? null };
    case 'credential-change': {
      const { credentialType, changeType, friendlyName } = event.change;
      return {
        ...base,
        details: { credential_type: credentialType, change_type: changeType, ...(friendlyName === undefined ? {} : { friendly_name: friendlyName }) },
      };
    }
    default:
      return base;
  }
}

/**
 * A credential of the person changed without anything being ended (a second factor or passkey
 * added or removed): the one call for the account code that manages factors. A password set by
 * an operator goes through the revoker instead (`endUser` with a credential-change cause), since
 * it also ends the person's sessions.
 */
export function recordCredentialChange(log: SecurityEventLog, userId: string, change: CredentialChange, initiatedBy: InitiatingEntity): Promise<void> {
  return log.record([{ kind: 'credential-change', userId, change }], initiatedBy);
}

/**
 * The account page's authenticator-app changes as CAEP credential-change events (`app`, create or
 * delete), besides what `observer` records. The page has answered by then: a failed append is
 * reported to `onError` and the change itself stands.
 */
export function reportingCredentialChanges(observer: SecondFactorObserver, log: SecurityEventLog, onError: (error: unknown) => void): SecondFactorObserver {
  const changed = (userId: string, changeType: CredentialChangeType): void => {
    recordCredentialChange(log, userId, { credentialType: 'app', changeType }, 'user').catch(onError);
  };
  return {
    ...observer,
    totpEnrolled(actor, factorId) {
      observer.totpEnrolled(actor, factorId);
      changed(actor.sub, 'create');
    },
    totpRemoved(actor, factorId) {
      observer.totpRemoved(actor, factorId);
      changed(actor.sub, 'delete');
    },
  };
}
