/**
 * The device_code grant's replay rule (src/grants/device-code.ts) called directly, as the token
 * endpoint calls it: real SQLite stores, real keys, an approved device authorization written to the
 * store as the verification page writes it, no HTTP. A used code presented again is invalid_grant
 * and ends the grant it started (its refresh family, and its access tokens through a `grant`
 * revocation record), also when it lands between the consuming update and the family's insert.
 * (Polling, approval and the tokens themselves: test/flows/device/.)
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/deps.js';
import { deviceCodeGrant } from '../../src/grants/device-code.js';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/oauth/device-codes.js';
import type { RevocableClaims } from '../../src/revocation/revocations.js';
import type { ClientRecord } from '../../src/storage/clients.js';
import { hashSecret, randomSecret } from '../../src/tokens/secrets.js';
import { createTestDeps, type Closable } from '../helpers/deps.js';
import { exchange, expectOAuthError, personGrantDeps, registeredClient, tokenRequest, verifiedToken } from '../helpers/grants.js';
import { movableClock } from '../helpers/people.js';
import { createPerson, createSession, type Person } from '../helpers/refresh.js';
import { recordSecrets } from '../helpers/secrets.js';

const SCOPE = 'openid offline_access tv';
const clock = movableClock();
let deps: Closable<Deps>;
let tv: ClientRecord;

beforeAll(async () => {
  deps = await createTestDeps({ clock });
  tv = await registeredClient(deps, { name: 'tv', grantTypes: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'], scope: SCOPE });
});
afterAll(async () => {
  await deps.close();
});

interface Approved {
  readonly deviceCode: string;
  readonly person: Person;
  readonly sid: string;
}

/** A device authorization the person approved, as the verification page leaves it. */
async function approvedDevice(): Promise<Approved> {
  const person = await createPerson({ deps });
  const sid = await createSession({ deps }, person);
  const deviceCode = randomSecret();
  const now = clock.nowSeconds();
  await deps.stores.deviceAuthorizations.insert({
    id: crypto.randomUUID(),
    deviceCodeHash: hashSecret(deviceCode),
    userCodeHash: randomSecret(),
    clientId: tv.clientId,
    scopes: SCOPE.split(' '),
    resources: [],
    createdAt: now,
    expiresAt: now + 600,
    intervalSeconds: 5,
    lastPolledAt: null,
    status: 'approved',
    approval: { userId: person.id, sessionId: sid, authTime: now - 30, authMethods: ['pwd'], acr: 'urn:inkan:acr:pwd' },
    decidedAt: now,
    consumedAt: null,
    grantId: null,
  });
  recordSecrets(deviceCode);
  return { deviceCode, person, sid };
}

const polling = (approved: Approved) => tokenRequest(DEVICE_CODE_GRANT_TYPE, tv, { device_code: approved.deviceCode });
const familyOf = async (refreshToken: string) => (await deps.stores.refreshTokens.find(hashSecret(refreshToken)))?.family;
const isRevoked = (claims: Record<string, unknown>) => deps.revocations.isRevoked(claims as unknown as RevocableClaims, { fresh: true });

describe('a device code presented again', () => {
  it('is invalid_grant and ends the grant it started: its refresh family and its access tokens', async () => {
    const approved = await approvedDevice();
    const first = await exchange(deps, polling(approved));
    recordSecrets(first.refresh_token);
    const token = (await verifiedToken(deps, first.access_token, 'at+jwt')).payload;
    expect(await isRevoked(token)).toBe(false);

    await expectOAuthError(exchange(deps, polling(approved)), 'invalid_grant', 'the device_code was already used; the tokens issued for it are revoked');

    expect(await isRevoked(token)).toBe(true);
    expect((await familyOf(first.refresh_token!))?.revokedAt).toBe(clock.nowSeconds());
    await expectOAuthError(exchange(deps, polling(approved)), 'invalid_grant', 'the device_code was already used; the tokens issued for it are revoked');
  });

  it('that lands between the consuming update and the family insert makes the exchange end the grant itself', async () => {
    const approved = await approvedDevice();
    let replay: Promise<unknown> | undefined;
    let started: { familyId: string | undefined; refreshToken: string } | undefined;
    // The grant as deps.ts builds it, but for a refresh domain that lets the replay in just before the family's insert.
    const grant = deviceCodeGrant({
      ...personGrantDeps(deps, clock),
      refreshTokens: {
        async startFamily(family) {
          replay = grant.handle(polling(approved));
          await replay.catch(() => undefined);
          const refreshToken = await deps.refreshTokens.startFamily(family);
          started = { familyId: family.familyId, refreshToken };
          recordSecrets(refreshToken);
          return refreshToken;
        },
      },
    });

    await expectOAuthError(grant.handle(polling(approved)), 'invalid_grant', 'the device_code was presented again during its exchange; the tokens issued for it are revoked');
    await expectOAuthError(replay!, 'invalid_grant', 'the device_code was already used; the tokens issued for it are revoked');
    // The replay found no family to end: the exchange ended the one it had just started.
    expect((await familyOf(started!.refreshToken))?.revokedAt).toBe(clock.nowSeconds());
    const ofTheGrant = { jti: randomSecret(16), sub: approved.person.id, client_id: tv.clientId, sid: approved.sid, grant_id: started!.familyId, iat: clock.nowSeconds() };
    expect(await isRevoked(ofTheGrant)).toBe(true);
  });
});
