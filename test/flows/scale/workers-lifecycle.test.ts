/**
 * `npm start` with WORKERS=2 from start to exit: SIGTERM stops both workers gracefully (requests in
 * flight answered, feed streams on both workers end with a `retry:` hint) and the primary exits 0;
 * a second signal kills the workers and the primary exits 1; workers never outlive a primary killed
 * outright. A start that fails (the port taken) stops the cluster with exit 1 and the worker's
 * one-line reason; a bad WORKERS, or WORKERS=2 on an in-memory database, is a configuration error
 * (exit 2). WORKERS=1 serves in one process, as before.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.js';
import { killServerProcesses, startServerProcess } from '../../helpers/server-process.js';
import { answeredBy, childPids, createClient, freshToken, isRunning, linesOf, logLines, runToExit, startWorkers, subscribeFeed, workersEnv } from './workers.js';

afterAll(() => killServerProcesses());

describe('stopping', () => {
  it('SIGTERM: both workers drain and stop, requests in flight are answered, feed streams end with a retry hint, the primary exits 0', { timeout: 120_000 }, async () => {
    const workers = await startWorkers({ SHUTDOWN_GRACE_SECONDS: '10' });
    const reader = await createClient(workers, ['--name', 'reader', '--scope', 'api revocations:read']);
    const pids = childPids(workers.server.pid);
    expect(pids).toHaveLength(2);
    // A feed subscriber on each worker (fresh connections are dealt to the workers in turn).
    const feedTokens = [await freshToken(workers.server.issuer, reader, 'revocations:read'), await freshToken(workers.server.issuer, reader, 'revocations:read')];
    const feeds = feedTokens.map((token) => subscribeFeed(workers.server.issuer, token.accessToken!));
    for (const feed of feeds) expect(await feed.status).toBe(200);
    await eventually(() => feeds.every((feed) => feed.events.some((event) => event.type === 'ready')), 10_000);

    // A load of token requests on fresh connections, straddling the signal.
    const outcomes: (number | string)[] = [];
    let signalled = false;
    const load = async () => {
      for (let i = 0; i < 30; i += 1) {
        const outcome = await freshToken(workers.server.issuer, reader, 'api').then(
          (issued) => issued.status,
          (error: unknown) => (error as { code?: string }).code ?? String(error),
        );
        outcomes.push(outcome);
        if (!signalled && outcomes.length >= 20) {
          signalled = true;
          process.kill(workers.server.pid, 'SIGTERM');
        }
        if (typeof outcome === 'string') return; // the listener is closed: no more to send
      }
    };
    await Promise.all(Array.from({ length: 4 }, load));
    expect(await workers.server.exited).toBe(0);

    // Answered whole (200) before the listener closed, or refused after: never a 5xx.
    expect(outcomes.filter((outcome) => outcome === 200).length).toBeGreaterThanOrEqual(20);
    for (const outcome of outcomes) if (outcome !== 200) expect(['ECONNREFUSED', 'ECONNRESET']).toContain(outcome);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    for (const feed of feeds) {
      await feed.ended;
      expect(feed.raw().trimEnd().split('\n').slice(-2)[0]).toMatch(/^retry: \d+$/);
    }
    // The two streams were served by the two workers.
    expect(new Set((await answeredBy(workers.server, feeds.map((feed) => feed.requestId))).values())).toEqual(new Set([0, 1]));
    const log = logLines(workers.server);
    expect(linesOf(workers.server, 'server.stopping').filter((line) => line.worker === undefined)).toMatchObject([{ signal: 'SIGTERM', workers: 2 }]);
    expect(linesOf(workers.server, 'server.stopping').filter((line) => line.worker !== undefined).map((line) => line.worker).sort()).toEqual([0, 1]);
    expect(linesOf(workers.server, 'server.stopped').map((line) => line.worker).sort()).toEqual([0, 1]);
    expect(linesOf(workers.server, 'cluster.worker_stopped').map((line) => [line.slot, line.exitCode]).sort()).toEqual([[0, 0], [1, 0]]);
    expect(log.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it('a second signal kills the workers at once, and the primary exits 1', { timeout: 120_000 }, async () => {
    const workers = await startWorkers();
    const pids = childPids(workers.server.pid);
    expect(pids).toHaveLength(2);
    // Two different signals, so that the kernel cannot merge them into one.
    process.kill(workers.server.pid, 'SIGTERM');
    process.kill(workers.server.pid, 'SIGINT');
    expect(await workers.server.exited).toBe(1);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    // Both may be pending when the primary first looks, and the kernel then delivers the lower
    // number first (SIGINT before SIGTERM): whichever came first stopped, the other one forced.
    const stopping = linesOf(workers.server, 'server.stopping').filter((line) => line.worker === undefined);
    const forced = linesOf(workers.server, 'server.forced_stop');
    expect(stopping).toHaveLength(1);
    expect(forced).toHaveLength(1);
    expect([stopping[0]!.signal, forced[0]!.signal].sort()).toEqual(['SIGINT', 'SIGTERM']);
  });

  it('no worker outlives a primary killed with SIGKILL', { timeout: 120_000 }, async () => {
    const workers = await startWorkers();
    const pids = childPids(workers.server.pid);
    expect(pids).toHaveLength(2);
    await workers.server.kill('SIGKILL');
    await eventually(() => pids.every((pid) => !isRunning(pid)), 20_000, 50);
  });
});

describe('starting', () => {
  it('WORKERS=1 serves in the one process, as before', { timeout: 60_000 }, async () => {
    const { dir, env } = await workersEnv({ WORKERS: '1' });
    const server = await startServerProcess(dir, env, 30_000);
    expect(childPids(server.pid)).toEqual([]);
    await eventually(() => linesOf(server, 'server.started').length === 1, 10_000, 100);
    expect(linesOf(server, 'server.started')[0]).not.toHaveProperty('worker');
    expect(linesOf(server, 'cluster.starting')).toEqual([]);
    await server.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('stops the cluster with exit 1 and the worker’s one-line reason when the port is taken', { timeout: 90_000 }, async () => {
    const { dir, env } = await workersEnv();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(Number(env.PORT), '127.0.0.1', resolve));
    try {
      const exit = await runToExit(dir, env);
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(/^inkan: cannot start: .*EADDRINUSE.*\n$/m);
      const lines = exit.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.filter((line) => line.event === 'cluster.start_failed')).toMatchObject([{ slot: 0, exitCode: 1 }]);
      // Slot 0 failed alone: slot 1 was never started.
      expect(lines.filter((line) => line.event === 'server.started')).toEqual([]);
    } finally {
      squatter.close();
    }
  });

  it.each([
    ['WORKERS=0', { WORKERS: '0' }, 'inkan: WORKERS must be an integer from 1 to 256 (processes), got "0"\n'],
    ['WORKERS=x', { WORKERS: 'x' }, 'inkan: WORKERS must be an integer from 1 to 256 (processes), got "x"\n'],
    ['WORKERS=257', { WORKERS: '257' }, 'inkan: WORKERS must be an integer from 1 to 256 (processes), got "257"\n'],
    ['WORKERS=2 on sqlite::memory:', { WORKERS: '2', DATABASE_URL: 'sqlite::memory:' }, 'inkan: WORKERS must be 1 with an in-memory database (sqlite::memory:): workers share the database\n'],
  ])('refuses %s with exit 2 and one line', { timeout: 60_000 }, async (_name, extra, message) => {
    const { dir, env } = await workersEnv(extra);
    const exit = await runToExit(dir, env);
    expect(exit).toMatchObject({ code: 2, stderr: message });
  });
});
