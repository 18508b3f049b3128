/**
 * The revocation vocabulary shared by server and SDK: a grant record covers the tokens of one
 * grant (one sign-in at one client) and nothing of another grant of the same session, client or
 * person; a session record covers the whole session. The same in the pure rule, in the SDK's
 * in-memory list, and through the feed's Security Event Token format.
 */
import { describe, expect, it } from 'vitest';
import { isCoveredBy, type RevocationRecord } from '@inkan/verifier/protocol';
import { RevocationList } from '../../packages/verifier/src/revocation-list.js';
import { MalformedSecurityEventError, recordFromSecurityEvent, securityEventClaims, EVENT_TYPES } from '@inkan/verifier/protocol';
import { ownerKeys, targetKey, tokenKeys } from '../../src/revocation/revocations.js';

const ISSUER = 'https://id.example.com';
const claims = (sid: string, client: string, grant?: string) => ({ jti: 'j', sub: 'u', client_id: client, iat: 100, sid, grant_id: grant });
const grant: RevocationRecord = { id: 7, target: { kind: 'grant', grantId: 'g1' }, createdAt: 100, expiresAt: 1000 };
const session: RevocationRecord = { id: 8, target: { kind: 'session', sid: 's2' }, createdAt: 100, expiresAt: 1000 };

describe('grant records', () => {
  it('cover the tokens of their grant only: not a later grant of the same session and client', () => {
    expect(isCoveredBy(grant.target, claims('s1', 'app', 'g1'))).toBe(true);
    expect(isCoveredBy(grant.target, claims('s1', 'app', 'g2'))).toBe(false);
    expect(isCoveredBy(grant.target, claims('s1', 'app'))).toBe(false);
    expect(isCoveredBy(session.target, claims('s2', 'other', 'g9'))).toBe(true);
    expect(isCoveredBy(session.target, claims('s1', 'other', 'g9'))).toBe(false);
  });

  it('are held the same way by the SDK\'s revocation list', () => {
    const list = new RevocationList();
    list.add(grant);
    list.add(session);
    expect(list.covers(claims('s1', 'app', 'g1'))).toBe('grant');
    expect(list.covers(claims('s1', 'app', 'g2'))).toBeUndefined();
    expect(list.covers(claims('s2', 'anyone', 'g3'))).toBe('session');
    expect(list.size).toBe(2);
    expect(list.purgeExpired(1001)).toBe(2);
    expect(list.covers(claims('s1', 'app', 'g1'))).toBeUndefined();
  });

  it('travel through the feed as Inkan\'s grant-tokens-revoked event with an opaque sub_id', () => {
    const set = securityEventClaims(grant, ISSUER);
    expect(set.sub_id).toEqual({ format: 'opaque', id: 'g1' });
    expect(Object.keys(set.events as object)).toEqual([EVENT_TYPES.grant]);
    expect(EVENT_TYPES.grant).toBe('urn:inkan:secevent:grant-tokens-revoked');
    expect(recordFromSecurityEvent(set, ISSUER)).toEqual(grant);
    const sessionSet = securityEventClaims(session, ISSUER);
    expect(sessionSet.sub_id).toEqual({ format: 'complex', session: { format: 'opaque', id: 's2' } });
    expect(recordFromSecurityEvent(sessionSet, ISSUER)).toEqual(session);
  });

  it('refuses a grant event whose sub_id is not opaque', () => {
    const set = securityEventClaims(grant, ISSUER);
    expect(() => recordFromSecurityEvent({ ...set, sub_id: { format: 'email', email: 'a@b.example' } }, ISSUER)).toThrow(MalformedSecurityEventError);
  });
});

describe('the keys records and tokens are filed under', () => {
  it('file a person\'s token under its jti, client, subject, session and grant', () => {
    expect(tokenKeys({ jti: 'j', sub: 'u', client_id: 'app', iat: 1, sid: 's', grant_id: 'g' })).toEqual(['jti:j', 'client:app', 'sub:u', 'sid:s', 'grant:g']);
  });

  it('file a client\'s own token (sub = client_id) under its client and its subject, as the pure rule matches it', () => {
    expect(ownerKeys({ sub: 'svc', client_id: 'svc' })).toEqual(['client:svc', 'sub:svc']);
  });

  it('file each record under the key of what it names', () => {
    expect(targetKey(grant.target)).toBe('grant:g1');
    expect(targetKey(session.target)).toBe('sid:s2');
    expect(targetKey({ kind: 'subject', sub: 'u', notBefore: 5 })).toBe('sub:u');
    expect(targetKey({ kind: 'client', clientId: 'c', notBefore: 5 })).toBe('client:c');
    expect(targetKey({ kind: 'jti', jti: 'j' })).toBe('jti:j');
  });
});
