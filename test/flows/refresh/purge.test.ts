/**
 * Housekeeping: expired and revoked rows disappear in bounded batches, in the background, while
 * what reuse detection still needs (consumed tokens of a live family) stays until its idle expiry.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import pino from 'pino';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { purgeOnce, startHousekeeping } from '../../../src/housekeeping/purge.js';
import { hashSecret } from '../../../src/tokens/secrets.js';
import { type AppClient, MovableClock, refresh, registerApp, revoke, startFamily } from '../../helpers/refresh.js';

const IDLE_TTL = 3600;
const clock = new MovableClock();
let server: TestServer;
let app: AppClient;

beforeAll(async () => {
  server = await startInkan({ env: { REFRESH_TOKEN_IDLE_TTL: String(IDLE_TTL), REFRESH_TOKEN_TTL: String(2 * IDLE_TTL) }, core: { clock } });
  app = await registerApp(server);
});
afterAll(async () => {
  await server.stop();
});

const stored = async (token: string) => (await server.deps.stores.refreshTokens.find(hashSecret(token))) !== undefined;
const allRevocationRecords = () => server.deps.stores.revocations.listSince(0, 0, 10_000);

it('purges revoked families at once, and consumed and expired tokens once their idle expiry passed', async () => {
  // Family A: rotated twice (two consumed tokens and a live head) and an access token revoked.
  const a = await startFamily(server, app);
  const a1 = (await refresh(server, app, a.refreshToken)).body;
  const a2 = (await refresh(server, app, a1.refresh_token)).body;
  await revoke(server, app, a2.access_token);
  // Family B: revoked, with the access tokens it issued (a grant record).
  const b = await startFamily(server, app);
  await revoke(server, app, b.refreshToken);
  const kinds = (await allRevocationRecords()).map((record) => record.target.kind).sort();
  expect(kinds).toEqual(['grant', 'jti']);

  const first = await purgeOnce(server.deps);
  expect(first.refreshTokens).toBeGreaterThanOrEqual(2); // B's token and B's family
  expect(await stored(b.refreshToken)).toBe(false);
  // A's consumed tokens are what recognises a replay: they stay.
  expect(await stored(a.refreshToken)).toBe(true);
  expect(await stored(a1.refresh_token)).toBe(true);
  expect(await stored(a2.refresh_token)).toBe(true);
  expect(await allRevocationRecords()).toHaveLength(2);

  // Past every idle expiry and the access token's exp.
  clock.advance(IDLE_TTL + 1);
  const second = await purgeOnce(server.deps);
  expect(second.refreshTokens).toBeGreaterThanOrEqual(3);
  expect(second.revocations).toBe(2);
  for (const token of [a.refreshToken, a1.refresh_token, a2.refresh_token]) expect(await stored(token)).toBe(false);
  expect(await allRevocationRecords()).toHaveLength(0);
  // A replay of a purged token is simply unknown.
  expect((await refresh(server, app, a.refreshToken)).body).toMatchObject({ error: 'invalid_grant', error_description: 'the refresh token is invalid' });
});

it('deletes in bounded batches', async () => {
  const families = await Promise.all(Array.from({ length: 7 }, () => startFamily(server, app)));
  for (const family of families) await server.deps.refreshTokens.revokeFamilyOf(family.refreshToken, app.client_id);
  const now = clock.nowSeconds();
  const batch = await server.deps.stores.refreshTokens.purge(now, 3);
  expect(batch).toBe(3);
  // purgeOnce repeats batches until one comes back short.
  const rest = await purgeOnce(server.deps, 3);
  expect(rest.refreshTokens).toBe(7 * 2 - 3);
  for (const family of families) expect(await stored(family.refreshToken)).toBe(false);
  expect(await server.deps.stores.refreshTokens.purge(now, 3)).toBe(0);
});

it('runs in the background', async () => {
  const family = await startFamily(server, app);
  await revoke(server, app, family.refreshToken);
  await server.deps.revocations.revoke({ kind: 'jti', jti: 'already-expired', expiresAt: clock.nowSeconds() - 1 });
  expect(await stored(family.refreshToken)).toBe(true);

  const housekeeping = startHousekeeping({ ...server.deps, log: pino({ level: 'silent' }) }, 100);
  try {
    const deadline = Date.now() + 5000;
    while ((await stored(family.refreshToken)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    await housekeeping.stop();
  }
  expect(await stored(family.refreshToken)).toBe(false);
  expect((await allRevocationRecords()).map((record) => record.target)).not.toContainEqual({ kind: 'jti', jti: 'already-expired' });
});
