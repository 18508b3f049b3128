/**
 * shared-signals/security-event-tokens.ts: the claims of each event type's SET (SSF 1.0 §4, CAEP
 * 1.0, RISC 1.0): `sub_id` (a person iss_sub, a session a complex subject), one event, `txn`, no
 * `sub` and no `exp`; the verification event's subject is the stream; an unknown type has no SET.
 */
import { describe, expect, it } from 'vitest';
import { eventSet, verificationSet } from '../../src/shared-signals/security-event-tokens.js';
import type { SecurityEventRecord } from '../../src/storage/shared-signals.js';

const envelope = { issuer: 'https://inkan.test', audience: 'receiver-1', nowSeconds: 1_700_000_100 };
const base: SecurityEventRecord = {
  id: 1, type: 'session-revoked', userId: 'user-1', sessionId: null, txn: 'txn-1', initiatingEntity: 'admin', details: null, occurredAt: 1_700_000_000,
};
const person = { format: 'iss_sub', iss: 'https://inkan.test', sub: 'user-1' };

describe('eventSet', () => {
  it('session-revoked about a person: iss_sub, CAEP timestamp and initiator, the txn, no sub or exp', () => {
    const set = eventSet(envelope, base)!;
    expect(set.claims).toEqual({
      iss: 'https://inkan.test',
      aud: 'receiver-1',
      iat: 1_700_000_100,
      jti: set.jti,
      txn: 'txn-1',
      sub_id: person,
      events: { 'https://schemas.openid.net/secevent/caep/event-type/session-revoked': { event_timestamp: 1_700_000_000, initiating_entity: 'admin' } },
    });
    expect(set.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(eventSet(envelope, base)!.jti).not.toBe(set.jti);
  });

  it('session-revoked about a session: a complex subject of the user and the session', () => {
    expect(eventSet(envelope, { ...base, sessionId: 'sid-1' })!.claims.sub_id).toEqual({ format: 'complex', user: person, session: { format: 'opaque', id: 'sid-1' } });
  });

  it('credential-change carries its type and change; RISC events carry no CAEP members', () => {
    const change = eventSet(envelope, { ...base, type: 'credential-change', details: { credential_type: 'password', change_type: 'update' } })!;
    expect(change.claims.events).toEqual({
      'https://schemas.openid.net/secevent/caep/event-type/credential-change': {
        credential_type: 'password', change_type: 'update', event_timestamp: 1_700_000_000, initiating_entity: 'admin',
      },
    });
    expect(eventSet(envelope, { ...base, type: 'account-disabled' })!.claims.events).toEqual({ 'https://schemas.openid.net/secevent/risc/event-type/account-disabled': {} });
    expect(eventSet(envelope, { ...base, type: 'account-enabled' })!.claims.events).toEqual({ 'https://schemas.openid.net/secevent/risc/event-type/account-enabled': {} });
  });

  it('has no SET for a type it does not know', () => {
    expect(eventSet(envelope, { ...base, type: 'account-purged' })).toBeUndefined();
  });
});

describe('verificationSet', () => {
  it('names the stream as an opaque subject and echoes the state, or none', () => {
    const set = verificationSet(envelope, 'stream-1', 'abc');
    expect(set.claims).toEqual({
      iss: 'https://inkan.test', aud: 'receiver-1', iat: 1_700_000_100, jti: set.jti,
      sub_id: { format: 'opaque', id: 'stream-1' },
      events: { 'https://schemas.openid.net/secevent/ssf/event-type/verification': { state: 'abc' } },
    });
    expect(verificationSet(envelope, 'stream-1', undefined).claims.events).toEqual({ 'https://schemas.openid.net/secevent/ssf/event-type/verification': {} });
  });
});
