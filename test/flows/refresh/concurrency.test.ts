/**
 * 50 parallel refreshes of one token, on SQLite and on PostgreSQL: exactly one rotation happens.
 * Inside the grace window the others are answered with the same successor (a retry), so every
 * answer carries the same refresh token, the family has exactly one live head, and the chain
 * continues from it. No answer is a 500.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { createDatabase } from '../../helpers/postgres-server.js';
import { hashSecret } from '../../../src/tokens/secrets.js';
import { type AppClient, introspect, refresh, registerApp, startFamily } from '../../helpers/refresh.js';

const PARALLEL = 50;
const serverUrl = inject('postgresUrl');
const postgresUnavailable = serverUrl === '' && process.env.CI !== 'true';

function raceSuite(engine: string, env: () => Promise<Record<string, string>>): void {
  describe(`${PARALLEL} parallel refreshes on ${engine}`, () => {
    let server: TestServer;
    let app: AppClient;

    beforeAll(async () => {
      server = await startInkan({ env: await env() });
      app = await registerApp(server);
    });
    afterAll(async () => {
      await server.stop();
    });

    it('rotate the token exactly once', async () => {
      const login = await startFamily(server, app);
      const answers = await Promise.all(Array.from({ length: PARALLEL }, () => refresh(server, app, login.refreshToken)));

      expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
      const successes = answers.filter((answer) => answer.status === 200);
      expect(successes.length).toBeGreaterThanOrEqual(1);
      // Anything that did not get the successor got invalid_grant, never a second branch.
      for (const answer of answers.filter((a) => a.status !== 200)) expect(answer.body.error).toBe('invalid_grant');
      const successors = new Set(successes.map((answer) => answer.body.refresh_token as string));
      expect(successors.size).toBe(1);
      const [successor] = [...successors];
      // Every answer has its own access token.
      expect(new Set(successes.map((answer) => answer.body.access_token)).size).toBe(successes.length);

      // The presented token is consumed once, with that successor; the successor is the live head.
      const consumed = await server.deps.stores.refreshTokens.find(hashSecret(login.refreshToken));
      expect(consumed?.token.successorHash).toBe(hashSecret(successor!));
      expect(consumed?.family.revokedAt).toBeNull();
      expect((await introspect(server, app, successor!)).body).toMatchObject({ active: true, token_type: 'refresh_token' });
      expect((await introspect(server, app, login.refreshToken)).body).toEqual({ active: false });

      // The chain goes on from it.
      const next = await refresh(server, app, successor!);
      expect(next.status).toBe(200);
      expect(next.body.refresh_token).not.toBe(successor);
    });

    it('leave the family ended when refreshes race a logout of its session', async () => {
      const login = await startFamily(server, app);
      const [revoked, ...answers] = await Promise.all([
        server.deps.revoker.endSession(login.sid),
        ...Array.from({ length: 10 }, () => refresh(server, app, login.refreshToken)),
      ]);
      expect(revoked.familiesEnded).toBe(1);
      expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
      // Whatever the interleaving, the family is over afterwards.
      const successor = answers.find((answer) => answer.status === 200)?.body.refresh_token as string | undefined;
      if (successor !== undefined) expect((await refresh(server, app, successor)).body.error).toBe('invalid_grant');
      expect((await refresh(server, app, login.refreshToken)).body.error).toBe('invalid_grant');
    });
  });
}

raceSuite('SQLite', async () => ({}));

describe.skipIf(postgresUnavailable)('PostgreSQL', () => {
  raceSuite('PostgreSQL', async () => {
    if (serverUrl === '') throw new Error('PostgreSQL did not start (global setup), and CI requires it');
    return { DATABASE_URL: await createDatabase(serverUrl, `refresh_${crypto.randomBytes(6).toString('hex')}`) };
  });
});
