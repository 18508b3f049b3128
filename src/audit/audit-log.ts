/**
 * Audit events: one structured log line per security event, so that the people on call can answer
 * "who did what, from where" with a log query. The domain functions (client registration, users,
 * keys, refresh tokens, logout, grants, login) call `AuditLog.record`; the server builds one on its
 * pino logger, the CLI one on its own file (cli/audit-destination.ts).
 *
 * Every line carries `audit: true`, `event` (the names below), `actor` (who acted: the CLI, the
 * admin API, a person at the login page, a client at the token endpoint, or Inkan itself) with
 * `actor_id` when known, `reqId` and `client_address` when the event came over HTTP, and the
 * event's own fields. What it never carries: a secret, password, token or key material (a token is
 * named by its `jti`, a refresh family by its id), nor an email in clear: `email_sha256` is the
 * first 16 hex digits of SHA-256 of the lower-cased, trimmed address — enough to correlate lines
 * and to check a known address, not to read one.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { normalizeEmail } from '../storage/people.js';
import { plainLines } from '../log.js';

export type ActorType = 'cli' | 'admin-api' | 'admin-console' | 'user' | 'client' | 'system';

/** Who acted, and from where when it came over HTTP. */
export interface Actor {
  readonly type: ActorType;
  /** The client_id (client, admin-api) or the user's sub (user, admin-console: the operator), when known. */
  readonly id?: string | undefined;
  readonly requestId?: string | undefined;
  readonly address?: string | undefined;
}

export const CLI_ACTOR: Actor = Object.freeze({ type: 'cli' });
export const SYSTEM_ACTOR: Actor = Object.freeze({ type: 'system' });

/** Where an HTTP request came from, for events raised deep inside a request. */
export interface RequestOrigin {
  readonly requestId?: string | undefined;
  readonly address?: string | undefined;
}

export type AuditEvent =
  | { readonly event: 'login.succeeded'; readonly sub: string; readonly email_sha256: string; readonly client_id: string }
  | { readonly event: 'login.failed'; readonly email_sha256: string; readonly client_id: string }
  | { readonly event: 'login.throttled'; readonly email_sha256: string; readonly client_id: string; readonly retry_after_seconds: number }
  | {
      readonly event: 'token.issued';
      readonly grant_type: string;
      readonly client_id: string;
      readonly sub: string;
      readonly alg: string;
      readonly jti: string;
      /** Token exchange (RFC 8693): the actor, and the subject token's client and jti. */
      readonly act_sub?: string;
      readonly subject_client_id?: string;
      readonly subject_jti?: string;
    }
  | { readonly event: 'refresh.reuse_detected'; readonly family_id: string; readonly client_id: string; readonly sub: string }
  | {
      readonly event: 'refresh.family_revoked';
      readonly family_id: string;
      readonly client_id: string;
      readonly sub: string;
      readonly reason: 'reuse_detected' | 'revocation_endpoint';
    }
  | { readonly event: 'key.rotated'; readonly alg: string; readonly kid: string; readonly previous_kid: string | null }
  | { readonly event: 'key.revoked'; readonly alg: string; readonly kid: string }
  | { readonly event: 'key.imported'; readonly alg: string; readonly kid: string }
  | { readonly event: 'client.created'; readonly client_id: string; readonly name: string; readonly auth_method: string; readonly grant_types: readonly string[] }
  | { readonly event: 'client.deleted'; readonly client_id: string; readonly refresh_families_ended: number }
  // Federated workload credentials (federation/): the client, the registered issuer; never the token.
  | { readonly event: 'client.federated_authenticated'; readonly client_id: string; readonly issuer: string; readonly sub: string; readonly token_jti: string | undefined }
  | { readonly event: 'client.federated_refused'; readonly client_id: string; readonly issuer: string; readonly reason: string }
  | { readonly event: 'user.created'; readonly sub: string; readonly email_sha256: string }
  | { readonly event: 'user.disabled'; readonly sub: string; readonly email_sha256: string }
  | { readonly event: 'user.enabled'; readonly sub: string; readonly email_sha256: string }
  | { readonly event: 'user.password_set'; readonly sub: string; readonly email_sha256: string; readonly sessions_and_families_ended: number }
  | {
      readonly event: 'ssf.stream_changed';
      readonly stream_id: string;
      readonly client_id: string;
      readonly change: 'created' | 'updated' | 'replaced' | 'deleted' | 'status';
      readonly status?: string;
    }
  // RFC 8628 device authorizations (audit/device-authorizations.ts): by the request's random id, never a code.
  | { readonly event: 'device.authorization_started'; readonly client_id: string; readonly device_authorization_id: string; readonly scope: string }
  | { readonly event: 'device.approved' | 'device.denied'; readonly sub: string; readonly client_id: string; readonly device_authorization_id: string }
  | { readonly event: 'device.code_refused'; readonly reason: 'wrong_code' | 'throttled'; readonly retry_after_seconds?: number }
  | { readonly event: 'tokens.revoked'; readonly sub: string; readonly email_sha256: string; readonly sessions_and_families_ended: number }
  | { readonly event: 'session.ended'; readonly sub: string; readonly sid: string; readonly refresh_families_ended: number }
  | { readonly event: 'backchannel_logout.delivered'; readonly client_id: string; readonly sid: string; readonly sub: string; readonly attempts: number; readonly status: number }
  | {
      readonly event: 'backchannel_logout.failed';
      readonly client_id: string;
      readonly sid: string;
      readonly sub: string;
      readonly attempts: number;
      readonly error: string;
      readonly retry_in_seconds: number;
    }
  | {
      readonly event: 'backchannel_logout.abandoned';
      readonly client_id: string;
      readonly sid: string;
      readonly sub: string;
      readonly attempts: number;
      readonly error: string;
    }
  | { readonly event: 'backchannel_logout.dropped'; readonly client_id: string; readonly sid: string; readonly max_pending_per_client: number }
  | { readonly event: 'mfa.totp_enrolled'; readonly sub: string; readonly factor_id: string }
  | { readonly event: 'mfa.totp_removed'; readonly sub: string; readonly factor_id: string }
  | { readonly event: 'mfa.totp_enrolment_failed'; readonly sub: string; readonly factor_id: string }
  | { readonly event: 'mfa.recovery_codes_generated'; readonly sub: string; readonly count: number }
  | { readonly event: 'mfa.reset'; readonly sub: string; readonly email_sha256: string; readonly factors_removed: number; readonly sessions_ended: number }
  | { readonly event: 'mfa.succeeded'; readonly sub: string; readonly method: 'totp' | 'recovery'; readonly client_id: string; readonly recovery_codes_left?: number }
  | { readonly event: 'mfa.failed'; readonly sub: string; readonly reason: 'wrong_code' | 'replayed_code'; readonly client_id: string }
  | { readonly event: 'mfa.throttled'; readonly sub: string; readonly client_id: string; readonly retry_after_seconds: number }
  // Passkeys (audit/passkeys.ts): a credential by the first 16 hex digits of its id's SHA-256.
  | { readonly event: 'passkey.added'; readonly sub: string; readonly credential_sha256: string; readonly backup_eligible: boolean }
  | { readonly event: 'passkey.renamed'; readonly sub: string; readonly credential_sha256: string }
  | { readonly event: 'passkey.removed'; readonly sub: string; readonly credential_sha256: string }
  | { readonly event: 'passkey.used'; readonly sub: string; readonly credential_sha256: string; readonly client_id: string; readonly synced: boolean }
  | {
      readonly event: 'passkey.failed';
      readonly ceremony: 'registration' | 'authentication';
      readonly reason: string;
      readonly sub: string | undefined;
      readonly credential_sha256: string | undefined;
      readonly client_id: string | undefined;
    };

export type AuditEventName = AuditEvent['event'];

export interface AuditLog {
  record(event: AuditEvent, actor: Actor): void;
}

/** Correlates lines about one address without writing it: 16 hex digits of SHA-256. */
export function emailDigest(email: string): string {
  return crypto.createHash('sha256').update(normalizeEmail(email), 'utf8').digest('hex').slice(0, 16);
}

/**
 * Audit lines on a pino logger's destination, at `info` even when LOG_LEVEL is higher (an operator
 * quieting the request log must not lose the audit trail); only LOG_LEVEL=silent silences them.
 * Like the access log, they skip pino's redaction (log.ts), which cost half of each line: their
 * fields are the closed, typed set above, which holds no secret by construction.
 */
export function pinoAuditLog(log: Logger, bindings: Readonly<Record<string, string>> = {}): AuditLog {
  const audit = plainLines(log, { bindings: { audit: true, ...bindings }, level: log.level === 'silent' ? 'silent' : 'info' });
  return {
    record(event, actor) {
      // One literal, the event spread last: adding fields to a spread object measured at twice
      // the cost of the whole line. pino leaves out the fields that are undefined.
      audit.info({ actor: actor.type, actor_id: actor.id, reqId: actor.requestId, client_address: actor.address, ...event }, event.event);
    },
  };
}

/** For callers that audit nothing (unit tests of the domain, `openCore` without a logger). */
export const NO_AUDIT: AuditLog = Object.freeze({ record: () => undefined });
