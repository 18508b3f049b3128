/**
 * The revocation vocabulary shared by server and SDK: a session record scoped to one client
 * (what one refresh family issued) covers that client's tokens of the session only, in the pure
 * rule, in the SDK's in-memory list, and through the feed's Security Event Token format.
 */
import { describe, expect, it } from 'vitest';
import { isCoveredBy, type RevocationRecord } from '../../src/verifier/revocation-records.js';
import { RevocationList } from '../../src/verifier/revocation-list.js';
import { recordFromSecurityEvent, securityEventClaims, EVENT_TYPES } from '../../src/verifier/security-events.js';

const ISSUER = 'https://id.example.com';
const claims = (sid: string, client: string) => ({ jti: 'j', sub: 'u', client_id: client, iat: 100, sid });
const scoped: RevocationRecord = { id: 7, target: { kind: 'session', sid: 's1', clientId: 'app' }, createdAt: 100, expiresAt: 1000 };
const whole: RevocationRecord = { id: 8, target: { kind: 'session', sid: 's2' }, createdAt: 100, expiresAt: 1000 };

describe('session records scoped to a client', () => {
  it('cover that client\'s tokens of the session, and no other client\'s', () => {
    expect(isCoveredBy(scoped.target, claims('s1', 'app'))).toBe(true);
    expect(isCoveredBy(scoped.target, claims('s1', 'other'))).toBe(false);
    expect(isCoveredBy(scoped.target, claims('s2', 'app'))).toBe(false);
    expect(isCoveredBy(whole.target, claims('s2', 'other'))).toBe(true);
  });

  it('are held the same way by the SDK\'s revocation list', () => {
    const list = new RevocationList();
    list.add(scoped);
    list.add(whole);
    expect(list.covers(claims('s1', 'app'))).toBe('session');
    expect(list.covers(claims('s1', 'other'))).toBeUndefined();
    expect(list.covers(claims('s2', 'anyone'))).toBe('session');
  });

  it('travel through the feed as CAEP session-revoked with an RFC 9493 application member', () => {
    const set = securityEventClaims(scoped, ISSUER);
    expect(set.sub_id).toEqual({ format: 'complex', session: { format: 'opaque', id: 's1' }, application: { format: 'opaque', id: 'app' } });
    expect(Object.keys(set.events as object)).toEqual([EVENT_TYPES.session]);
    expect(recordFromSecurityEvent(set, ISSUER)).toEqual(scoped);
    expect(recordFromSecurityEvent(securityEventClaims(whole, ISSUER), ISSUER)).toEqual(whole);
  });
});
