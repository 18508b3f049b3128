/**
 * Back-channel logout deliveries are durable and delivered once, with Inkan run as operators run
 * it (`node dist/src/main.js`, test/helpers/server-process.ts), on SQLite and PostgreSQL:
 * - a delivery that failed (the relying party answered 500) is still owed after the server is
 *   SIGKILLed, and the next server to start on the database delivers it; so is a logout the CLI
 *   queued while no server ran;
 * - a server SIGKILLed in the middle of a POST leaves that delivery leased; the next server sends
 *   it again (a new token) once the lease has run out: at least once, as documented;
 * - two servers on one database, both delivering, send each owed token once (the lease), to a
 *   slow relying party that keeps several deliveries in flight on each.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testEnv } from '../../helpers/inkan.js';
import type { RegisteredClient } from '../../helpers/clients.js';
import { createDatabase, freePort } from '../../helpers/postgres-server.js';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { createUser } from '../../helpers/people.js';
import { eventually } from '../../helpers/eventually.js';
import { LogoutReceiver, REDIRECT, signInTo, verifyLogoutToken } from './relying-party.js';

afterAll(() => killServerProcesses());

const serverUrl = inject('postgresUrl');
const engines: Array<[string, () => Promise<Record<string, string>>]> = [['SQLite', async () => ({})]];
if (serverUrl !== '' || process.env.CI === 'true') {
  engines.push(['PostgreSQL', async () => ({ DATABASE_URL: await createDatabase(serverUrl, `bcl_${crypto.randomBytes(6).toString('hex')}`) })]);
}

const PASSWORD = 'durable-logout-password-1';
const AFTER_LOGOUT = 'http://127.0.0.1:9/signed-out';

async function register(server: ServerProcess, receiver: LogoutReceiver, alg: 'RS256' | 'EdDSA'): Promise<RegisteredClient> {
  const result = await server.cli([
    'clients', 'create', '--name', 'rp', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--post-logout-redirect-uris', AFTER_LOGOUT,
    '--scope', 'openid', '--auth-method', 'none', '--skip-consent', '--alg', alg, '--backchannel-logout-uri', receiver.url,
  ]);
  expect(result.code, result.stderr).toBe(0);
  return result.json<RegisteredClient>();
}

async function person(server: ServerProcess): Promise<{ email: string; password: string; id: string }> {
  const email = `${crypto.randomUUID()}@example.com`;
  return { email, password: PASSWORD, id: (await createUser(server, email, PASSWORD)).id };
}

async function environment(databaseEnv: Record<string, string>, extra: Record<string, string> = {}) {
  const { dir, env: base } = testEnv(databaseEnv);
  const port = await freePort();
  return { dir, env: { ...base, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', ...extra } };
}

describe.each(engines)('%s', (_engine, databaseEnv) => {
  it('delivers after a SIGKILL what was still owed: a failed delivery, and a logout the CLI queued while no server ran', { timeout: 90_000 }, async () => {
    const receiver = await LogoutReceiver.start();
    try {
      const { dir, env } = await environment(await databaseEnv(), { BACKCHANNEL_LOGOUT_RETRY_SCHEDULE: '2,2,2,2,2' });
      let server = await startServerProcess(dir, env);
      const client = await register(server, receiver, 'EdDSA');
      const [ada, alan] = [await person(server), await person(server)];
      const adaSession = await signInTo(server.issuer, client, ada);
      const alanSession = await signInTo(server.issuer, client, alan);

      receiver.status = 500;
      const logout = new URL('/end-session', server.issuer);
      logout.search = new URLSearchParams({ id_token_hint: adaSession.idToken, post_logout_redirect_uri: AFTER_LOGOUT }).toString();
      expect((await adaSession.browser.request(logout.href)).status).toBe(302);
      // The failure is recorded (the row waits for its retry, no longer leased), then the crash.
      // A server killed in the middle of a POST would leave that row leased for 2 × timeout + 10 s.
      const logFile = server.logFile;
      await eventually(() => receiver.refused >= 1 && fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes('"backchannel_logout.failed"'), 10_000);
      await server.kill('SIGKILL');

      const offline = await server.cli(['tokens', 'revoke', '--email', alan.email]);
      expect(offline.code, offline.stderr).toBe(0);
      receiver.status = 200;
      server = await startServerProcess(dir, env);
      await eventually(() => receiver.received.length >= 2, 15_000);
      const bySid = new Map<string, string>();
      for (const { token } of receiver.received) bySid.set(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid, token);
      const client_ = { clientId: client.client_id, alg: 'EdDSA' as const };
      await verifyLogoutToken(server.issuer, bySid.get(adaSession.sid)!, client_, { sub: ada.id, sid: adaSession.sid });
      await verifyLogoutToken(server.issuer, bySid.get(alanSession.sid)!, client_, { sub: alan.id, sid: alanSession.sid });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(receiver.received).toHaveLength(2);
      await server.kill('SIGTERM');
    } finally {
      await receiver.close();
    }
  });

  it('sends again, once its lease has run out, a delivery whose server was SIGKILLed in the middle of the POST', { timeout: 90_000 }, async () => {
    const receiver = await LogoutReceiver.start();
    try {
      // A one-second timeout makes the lease 2 × 1 + 10 = 12 s.
      const { dir, env } = await environment(await databaseEnv(), { BACKCHANNEL_LOGOUT_TIMEOUT: '1' });
      let server = await startServerProcess(dir, env);
      const client = await register(server, receiver, 'RS256');
      const ada = await person(server);
      const session = await signInTo(server.issuer, client, ada);
      receiver.hold = true;
      const logout = new URL('/end-session', server.issuer);
      logout.search = new URLSearchParams({ id_token_hint: session.idToken, post_logout_redirect_uri: AFTER_LOGOUT }).toString();
      expect((await session.browser.request(logout.href)).status).toBe(302);
      await eventually(() => receiver.holding === 1, 10_000);
      await server.kill('SIGKILL');
      receiver.release();

      const restartedAt = performance.now();
      server = await startServerProcess(dir, env);
      await eventually(() => receiver.received.length === 2, 30_000);
      // Not before the lease ran out: 12 s after the claim (in whole seconds, so at least 11 s after
      // the first POST arrived), however soon the new server started.
      expect(receiver.received[1]!.atMs - receiver.received[0]!.atMs).toBeGreaterThan(10_000);
      expect(receiver.received[1]!.atMs).toBeGreaterThan(restartedAt);
      const [first, again] = receiver.received.map(({ token }) => token);
      const client_ = { clientId: client.client_id, alg: 'RS256' as const };
      const firstClaims = await verifyLogoutToken(server.issuer, first!, client_, { sub: ada.id, sid: session.sid });
      const againClaims = await verifyLogoutToken(server.issuer, again!, client_, { sub: ada.id, sid: session.sid });
      expect(againClaims.jti).not.toBe(firstClaims.jti);
      await server.kill('SIGTERM');
    } finally {
      await receiver.close();
    }
  });

  it('sends each owed token once when two servers share the database', { timeout: 120_000 }, async () => {
    const receiver = await LogoutReceiver.start();
    // Slow enough that both servers have deliveries in flight at once: one server alone, two POSTs
    // at a time, would need 4 s for the eight, and the other polls every 250 ms.
    receiver.delayMs = 1000;
    try {
      const { dir, env } = await environment(await databaseEnv(), { BACKCHANNEL_LOGOUT_CONCURRENCY: '2' });
      const first = await startServerProcess(dir, env);
      const port = await freePort();
      const second = await startServerProcess(dir, { ...env, PORT: String(port) });
      const client = await register(first, receiver, 'RS256');
      const grace = await person(first);
      const sessions = [];
      for (let index = 0; index < 8; index += 1) sessions.push(await signInTo(first.issuer, client, grace));

      const result = await first.cli(['tokens', 'revoke', '--email', grace.email]);
      expect(result.code, result.stderr).toBe(0);
      await eventually(() => receiver.received.length >= sessions.length, 30_000);
      // Time for a duplicate to arrive, were one sent.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const sids = receiver.received.map(({ token }) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string);
      expect(sids.sort()).toEqual(sessions.map((session) => session.sid).sort());
      for (const { token } of receiver.received.slice(0, 2)) {
        const sid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;
        await verifyLogoutToken(first.issuer, token, { clientId: client.client_id, alg: 'RS256' }, { sub: grace.id, sid });
      }
      await Promise.all([first.kill('SIGTERM'), second.kill('SIGTERM')]);
      // Each server's audit lines (flushed at exit): both delivered, eight in all.
      const delivered = [first, second].map(
        (server) => fs.readFileSync(server.logFile, 'utf8').split('\n').filter((line) => line.includes('"event":"backchannel_logout.delivered"')).length,
      );
      expect(delivered[0]! + delivered[1]!, `delivered by each server: ${delivered.join(', ')}`).toBe(sessions.length);
      expect(Math.min(...delivered), `delivered by each server: ${delivered.join(', ')}`).toBeGreaterThan(0);
    } finally {
      await receiver.close();
    }
  });
});
