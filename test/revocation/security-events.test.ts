/**
 * revocation/security-events.ts and its writer, the revoker: ending a session or a person writes
 * why (one `txn` per cause), ending a token, a grant or a client writes nothing, a session that had
 * already ended writes nothing again, and `recordCredentialChange` writes a credential-change
 * with its CAEP members.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestCore, type Closable } from '../helpers/deps.js';
import { movableClock } from '../helpers/people.js';
import { createPerson, createSession } from '../helpers/refresh.js';
import { recordCredentialChange } from '../../src/revocation/security-events.js';
import type { Core } from '../../src/deps.js';

const clock = movableClock();
let core: Closable<Core>;

beforeAll(async () => {
  core = await openTestCore({ clock });
});
afterAll(async () => {
  await core?.close();
});

/** The events written by `action`, without their ids. */
async function written(action: () => Promise<unknown>) {
  const before = await core.stores.securityEvents.latestId();
  await action();
  return (await core.stores.securityEvents.listSince(before, 100)).map(({ id: _id, ...event }) => event);
}

describe('the revoker writes why', () => {
  it('a session ended: session-revoked about that session, once', async () => {
    const person = await createPerson({ deps: core });
    const sid = await createSession({ deps: core }, person);
    expect(await written(() => core.revoker.endSession(sid))).toEqual([
      { type: 'session-revoked', userId: person.id, sessionId: sid, txn: expect.any(String), initiatingEntity: 'user', details: null, occurredAt: clock.nowSeconds() },
    ]);
    expect(await written(() => core.revoker.endSession(sid))).toEqual([]);
    expect(await written(() => core.revoker.endSession('no-such-session', 'system'))).toEqual([]);
  });

  it('a person ended: the cause\'s own event, then session-revoked, one txn', async () => {
    const person = await createPerson({ deps: core });
    const types = async (cause: Parameters<Core['revoker']['endUser']>[1]) => {
      const events = await written(() => core.revoker.endUser(person.id, cause));
      expect(new Set(events.map((event) => event.txn)).size).toBe(1);
      expect(events.every((event) => event.userId === person.id && event.sessionId === null && event.initiatingEntity === 'admin')).toBe(true);
      return events.map((event) => [event.type, event.details]);
    };
    expect(await types({ kind: 'logged-out-everywhere', initiatedBy: 'admin' })).toEqual([['session-revoked', null]]);
    expect(await types({ kind: 'account-disabled', initiatedBy: 'admin' })).toEqual([['account-disabled', null], ['session-revoked', null]]);
    expect(await types({ kind: 'credential-change', change: { credentialType: 'password', changeType: 'update' }, initiatedBy: 'admin' })).toEqual([
      ['credential-change', { credential_type: 'password', change_type: 'update' }],
      ['session-revoked', null],
    ]);
  });

  it('a token, a grant or a client ended: nothing', async () => {
    expect(await written(() => core.revoker.revokeAccessToken({ jti: 'j', exp: clock.nowSeconds() + 60 }))).toEqual([]);
    expect(await written(() => core.revoker.endGrant('grant-1'))).toEqual([]);
    expect(await written(() => core.revoker.endClient('client-1'))).toEqual([]);
  });
});

describe('recordCredentialChange', () => {
  it('writes a credential-change with its CAEP members, ending nothing', async () => {
    const person = await createPerson({ deps: core });
    const sid = await createSession({ deps: core }, person);
    const events = await written(() =>
      recordCredentialChange(core.securityEvents, person.id, { credentialType: 'fido2-platform', changeType: 'create', friendlyName: 'laptop' }, 'user'),
    );
    expect(events).toEqual([
      {
        type: 'credential-change',
        userId: person.id,
        sessionId: null,
        txn: expect.any(String),
        initiatingEntity: 'user',
        details: { credential_type: 'fido2-platform', change_type: 'create', friendly_name: 'laptop' },
        occurredAt: clock.nowSeconds(),
      },
    ]);
    expect((await core.stores.sessions.find(sid))?.endedAt).toBeNull();
  });
});
