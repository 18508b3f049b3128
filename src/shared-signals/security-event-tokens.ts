/**
 * The claims of the Security Event Tokens a stream carries (RFC 8417 as profiled by SSF 1.0 §4):
 * `iss` (the issuer, also the stream's `iss`), `aud` (the stream's: the receiver's client_id),
 * `iat`, `jti`, `txn` (shared by the SETs of one cause, §4.1.8), the top-level `sub_id` (§3) and
 * `events` with exactly one event. No `sub` and no `exp` (§4.1.2, §4.1.6). The header
 * (`typ: secevent+jwt`, a JWKS `kid`) is the signer's.
 *
 * Subjects (RFC 9493, SSF §3.2–3.3): a person is `iss_sub` (the `sub` of their tokens); an event
 * about one session is a complex subject with that `user` and the `session` as `opaque` (its id is
 * the `sid` claim of the ID tokens issued in it); the verification event's subject is the stream,
 * `opaque` (§8.1.4.1). CAEP events carry `event_timestamp` and `initiating_entity` (CAEP 1.0 §2);
 * credential-change its `credential_type` and `change_type` (§3.3).
 */
import crypto from 'node:crypto';
import type { SecurityEventRecord } from '../storage/shared-signals.js';
import { EVENT_TYPES, VERIFICATION_EVENT } from './vocabulary.js';
import type { SecurityEventKind } from '../revocation/security-events.js';

export interface SetDraft {
  readonly jti: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

interface Envelope {
  readonly issuer: string;
  readonly audience: string;
  readonly nowSeconds: number;
}

const newJti = (): string => crypto.randomUUID().replaceAll('-', '');

function draft(envelope: Envelope, subject: Record<string, unknown>, eventType: string, event: Record<string, unknown>, txn?: string): SetDraft {
  const jti = newJti();
  return {
    jti,
    claims: {
      iss: envelope.issuer,
      aud: envelope.audience,
      iat: envelope.nowSeconds,
      jti,
      ...(txn === undefined ? {} : { txn }),
      sub_id: subject,
      events: { [eventType]: event },
    },
  };
}

/** The SET of one logged security event, or undefined for a kind this build does not know. */
export function eventSet(envelope: Envelope, event: SecurityEventRecord): SetDraft | undefined {
  const eventType = EVENT_TYPES[event.type as SecurityEventKind] as string | undefined;
  if (eventType === undefined) return undefined;
  const person = { format: 'iss_sub', iss: envelope.issuer, sub: event.userId };
  const subject = event.sessionId === null ? person : { format: 'complex', user: person, session: { format: 'opaque', id: event.sessionId } };
  // CAEP's optional claims (CAEP 1.0 §2); RISC events define none of their own.
  const caep = { event_timestamp: event.occurredAt, initiating_entity: event.initiatingEntity };
  let members: Record<string, unknown>;
  switch (event.type as SecurityEventKind) {
    case 'session-revoked':
      members = caep;
      break;
    case 'credential-change':
      members = { ...(event.details ?? {}), ...caep };
      break;
    default:
      members = {};
  }
  return draft(envelope, subject, eventType, members, event.txn);
}

/** SSF 1.0 §8.1.4.1: the verification event of a stream, echoing the receiver's `state`. */
export function verificationSet(envelope: Envelope, streamId: string, state: string | undefined): SetDraft {
  return draft(envelope, { format: 'opaque', id: streamId }, VERIFICATION_EVENT, state === undefined ? {} : { state });
}
