/**
 * Graceful shutdown of the real entry point (`node dist/src/main.js`): a SIGTERM in the middle of
 * a load of token requests over keep-alive connections loses none of them. Every request is either
 * answered 200 with a whole token response, or fails at the connection level (refused, reset)
 * before the server accepted it (the server's audit trail shows exactly one issued token per 200:
 * nothing was issued whose answer was lost); none gets a 5xx or a cut body. An open revocation-feed stream
 * ends with a `retry:` hint, and the process exits 0. Run with WORKERS=1 and WORKERS=2 (a cluster).
 */
import fs from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { runCli, testEnv } from '../../helpers/inkan.js';
import { freePort } from '../../helpers/postgres-server.js';
import { basicAuth, type RegisteredClient } from '../../helpers/clients.js';
import { recordTokenResponse } from '../../helpers/secrets.js';
import { killServerProcesses, startServerProcess } from '../../helpers/server-process.js';

afterAll(() => killServerProcesses());

type Outcome = { kind: 'answered'; status: number; body: string } | { kind: 'connection-error'; code: string };

// WORKERS pinned both ways: one process, and a cluster of two (src/cluster/primary.ts relays the
// signal to each worker), whatever the machine's cores would make the default.
it.each(['1', '2'])('answers or refuses every token request during a SIGTERM, never a 5xx or a cut body, and exits 0 (WORKERS=%s)', { timeout: 60_000 }, async (workers) => {
  const { dir, env } = testEnv({ SHUTDOWN_GRACE_SECONDS: '10', WORKERS: workers });
  const port = await freePort();
  const fullEnv = { ...env, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}` };
  const created = await runCli(['clients', 'create', '--name', 'load', '--scope', 'api revocations:read'], { env: fullEnv, cwd: dir });
  expect(created.code, created.stderr).toBe(0);
  const client = created.json<RegisteredClient>();

  const server = await startServerProcess(dir, fullEnv, 60_000);
  const url = server.issuer;

  // A feed subscriber, to see its stream end with a retry hint.
  const feedToken = (await (await fetch(`${url}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=revocations:read',
  }).then((response) => response.json())) as { access_token: string }).access_token;
  const feed = await fetch(`${url}/revocations/feed`, { headers: { authorization: `Bearer ${feedToken}` } });
  expect(feed.status).toBe(200);
  const feedText = feed.text();

  const TOTAL = 300;
  const WORKERS = 10;
  const outcomes: Outcome[] = [];
  let sent = 0;
  let signalled = false;
  const request = async (): Promise<Outcome> => {
    try {
      const response = await fetch(`${url}/token`, {
        method: 'POST',
        headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&scope=api',
      });
      return { kind: 'answered', status: response.status, body: await response.text() };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { kind: 'connection-error', code: cause?.code ?? String(cause ?? error) };
    }
  };
  const worker = async () => {
    while (sent < TOTAL) {
      sent += 1;
      const outcome = await request();
      outcomes.push(outcome);
      if (!signalled && outcomes.length >= TOTAL / 3) {
        signalled = true;
        void server.kill('SIGTERM');
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));

  expect(await server.exited).toBe(0);
  expect(outcomes).toHaveLength(TOTAL);
  const answered = outcomes.filter((outcome) => outcome.kind === 'answered');
  for (const outcome of answered) {
    expect(outcome.status).toBe(200);
    const body = JSON.parse(outcome.body) as { access_token: string; token_type: string };
    recordTokenResponse(body);
    expect(body.token_type).toBe('Bearer');
    expect(body.access_token.split('.')).toHaveLength(3);
  }
  for (const outcome of outcomes) {
    if (outcome.kind === 'connection-error') expect(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']).toContain(outcome.code);
  }
  // The load really straddled the signal: some answered before it, some refused after it.
  expect(answered.length).toBeGreaterThanOrEqual(TOTAL / 3);
  expect(outcomes.some((outcome) => outcome.kind === 'connection-error')).toBe(true);

  const stream = await feedText;
  expect(stream).toContain('event: ready');
  expect(stream.trimEnd().split('\n').slice(-2)[0]).toMatch(/^retry: \d+$/);
  const log = fs.readFileSync(server.logFile, 'utf8');
  // Nothing was issued without its answer arriving: one token.issued audit line per 200 (+ the feed's token).
  expect(log.split('\n').filter((line) => line.includes('"event":"token.issued"'))).toHaveLength(answered.length + 1);
  expect(log).toContain('"event":"server.stopping"');
  expect(log.split('\n').filter((line) => line.includes('"event":"server.stopped"'))).toHaveLength(Number(workers));
});
