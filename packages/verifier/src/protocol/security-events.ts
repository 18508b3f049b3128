/**
 * The revocation feed's wire format: one Security Event Token (RFC 8417, `typ: secevent+jwt`) per
 * revocation record, signed with the issuer's keys so that a verifier can trust it through any
 * proxy. Pure and shared: the server builds the claims with it, the verifier SDK reads them back.
 *
 * Claims: `iss`, `iat` (when the record was written), `jti` (`revocation-<record id>`), `sub_id`
 * (an RFC 9493 subject identifier, as the Shared Signals Framework puts it), and `events` with
 * exactly one member:
 * - session (logout of one device): the CAEP `session-revoked` event, `sub_id` a complex subject
 *   whose `session` is the opaque `sid`.
 * - jti, subject, grant, client: Inkan's own event URIs (CAEP has no "this access token", "this
 *   grant" or "tokens issued before T" event); `sub_id` is the opaque jti, the `iss_sub` pair, the
 *   opaque grant id (the access tokens' `grant_id` claim) or the opaque client_id.
 * Every event object carries `event_timestamp` (CAEP), `record_id` (the feed's event id, also
 * signed here so a proxy cannot renumber events), `expires_at` (when the verifier may forget the
 * record) and, for subject and client records, `not_before`.
 */
import type { RevocationRecord, RevocationTarget } from './revocation-records.js';

export const EVENT_TYPES = {
  session: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  jti: 'urn:inkan:secevent:token-revoked',
  subject: 'urn:inkan:secevent:subject-tokens-revoked',
  grant: 'urn:inkan:secevent:grant-tokens-revoked',
  client: 'urn:inkan:secevent:client-tokens-revoked',
} as const satisfies Record<RevocationTarget['kind'], string>;

const KIND_OF_EVENT = new Map<string, RevocationTarget['kind']>(
  Object.entries(EVENT_TYPES).map(([kind, uri]) => [uri, kind as RevocationTarget['kind']]),
);

export function securityEventClaims(record: RevocationRecord, issuer: string): Record<string, unknown> {
  const target = record.target;
  const common = { event_timestamp: record.createdAt, record_id: record.id, expires_at: record.expiresAt };
  let subId: Record<string, unknown>;
  let event: Record<string, unknown> = common;
  switch (target.kind) {
    case 'jti':
      subId = { format: 'opaque', id: target.jti };
      break;
    case 'session':
      // RFC 9493 complex subject: the session.
      subId = { format: 'complex', session: { format: 'opaque', id: target.sid } };
      break;
    case 'grant':
      subId = { format: 'opaque', id: target.grantId };
      break;
    case 'subject':
      subId = { format: 'iss_sub', iss: issuer, sub: target.sub };
      event = { ...common, not_before: target.notBefore };
      break;
    case 'client':
      subId = { format: 'opaque', id: target.clientId };
      event = { ...common, not_before: target.notBefore };
      break;
  }
  return { iss: issuer, iat: record.createdAt, jti: `revocation-${record.id}`, sub_id: subId, events: { [EVENT_TYPES[target.kind]]: event } };
}

/** A SET whose claims are not a revocation record of this issuer. Switch on `code`, as on VerifierError's. */
export class MalformedSecurityEventError extends Error {
  override readonly name = 'MalformedSecurityEventError';
  readonly code = 'ERR_SECURITY_EVENT_MALFORMED';
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isText = (value: unknown): value is string => typeof value === 'string' && value !== '' && value.length <= 1024;

/** The record a verified SET's claims describe; throws MalformedSecurityEventError on anything else. */
export function recordFromSecurityEvent(claims: Record<string, unknown>, issuer: string): RevocationRecord {
  const fail = (why: string): never => {
    throw new MalformedSecurityEventError(why);
  };
  if (claims.iss !== issuer) fail('iss is not the issuer');
  const events = claims.events;
  if (!isObject(events)) return fail('no events object');
  const uris = Object.keys(events);
  if (uris.length !== 1) fail('expected exactly one event');
  const uri = uris[0]!;
  const kind = KIND_OF_EVENT.get(uri) ?? fail(`unknown event type ${uri}`);
  const event = events[uri];
  const subId = claims.sub_id;
  if (!isObject(event) || !isObject(subId)) return fail('event or sub_id is not an object');
  const id = event.record_id;
  if (!isTime(id) || id === 0 || !isTime(event.expires_at) || !isTime(event.event_timestamp)) fail('record_id, expires_at or event_timestamp missing');
  const base = { id: id as number, createdAt: event.event_timestamp as number, expiresAt: event.expires_at as number };
  switch (kind) {
    case 'jti':
      if (subId.format !== 'opaque' || !isText(subId.id)) fail('token-revoked needs an opaque sub_id');
      return { ...base, target: { kind, jti: subId.id as string } };
    case 'session': {
      const session = subId.session;
      if (subId.format !== 'complex' || !isObject(session) || !isText(session.id)) fail('session-revoked needs a session sub_id');
      return { ...base, target: { kind, sid: (session as Record<string, unknown>).id as string } };
    }
    case 'grant':
      if (subId.format !== 'opaque' || !isText(subId.id)) fail('grant-tokens-revoked needs an opaque sub_id');
      return { ...base, target: { kind, grantId: subId.id as string } };
    case 'subject':
      if (subId.format !== 'iss_sub' || subId.iss !== issuer || !isText(subId.sub) || !isTime(event.not_before)) fail('subject-tokens-revoked needs iss_sub and not_before');
      return { ...base, target: { kind, sub: subId.sub as string, notBefore: event.not_before as number } };
    case 'client':
      if (subId.format !== 'opaque' || !isText(subId.id) || !isTime(event.not_before)) fail('client-tokens-revoked needs an opaque sub_id and not_before');
      return { ...base, target: { kind, clientId: subId.id as string, notBefore: event.not_before as number } };
  }
}
