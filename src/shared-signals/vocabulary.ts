/**
 * The names Inkan's Shared Signals transmitter speaks: OpenID Shared Signals Framework 1.0 (SSF),
 * CAEP 1.0 and RISC 1.0 event-type URIs, RFC 8935/8936 delivery-method URNs, and the mapping from
 * the security-event log's kinds (revocation/security-events.ts) to event types.
 */
import type { SecurityEventKind } from '../revocation/security-events.js';

/** SSF 1.0 §7.1 `spec_version` of the final 1.0 specification. */
export const SSF_SPEC_VERSION = '1_0';

/** SSF 1.0 §6.1.1: RFC 8935 push; §6.1.2: RFC 8936 poll. */
export const PUSH_DELIVERY = 'urn:ietf:rfc:8935';
export const POLL_DELIVERY = 'urn:ietf:rfc:8936';
export const DELIVERY_METHODS = [PUSH_DELIVERY, POLL_DELIVERY] as const;

export const EVENT_TYPES: Readonly<Record<SecurityEventKind, string>> = {
  'session-revoked': 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  'credential-change': 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
  'account-disabled': 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  'account-enabled': 'https://schemas.openid.net/secevent/risc/event-type/account-enabled',
};

/** Every stream's `events_supported`. */
export const EVENTS_SUPPORTED: readonly string[] = Object.values(EVENT_TYPES);

/** SSF 1.0 §8.1.4.1: sent on request, whatever the stream's events (sub_id: the stream, opaque). */
export const VERIFICATION_EVENT = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
