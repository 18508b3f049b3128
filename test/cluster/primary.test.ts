/**
 * The primary's decisions (src/cluster/primary.ts) with stand-in workers, where timing can be
 * chosen exactly (the process-level tests are test/flows/scale/workers*.test.ts): slot 0 starts
 * alone and alone schedules; a signal that comes while slot 0 starts stops the machine without
 * starting slot 1; a crash recovered from does not fail the later stop; young deaths are restarted
 * after a doubling delay; a failed start stops the rest and exits 1; every worker's revocation-feed
 * streams count against one limit.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from 'pino';
import type { Config } from '../../src/config.js';

class FakeWorker extends EventEmitter {
  static nextPid = 1000;
  readonly sent: unknown[] = [];
  readonly signals: string[] = [];
  connected = true;
  readonly process = { pid: FakeWorker.nextPid++, kill: (signal: string) => void this.signals.push(signal) };
  isConnected = () => this.connected;
  send = (message: unknown) => void this.sent.push(message);
  say(message: unknown): void {
    this.emit('message', message);
  }
  die(code: number | null, signal: string | null = null): void {
    this.connected = false;
    this.emit('exit', code, signal);
  }
}

const forked: FakeWorker[] = [];
vi.mock('node:cluster', () => ({
  default: {
    fork: () => {
      const worker = new FakeWorker();
      forked.push(worker);
      return worker;
    },
  },
}));
const { runPrimary } = await import('../../src/cluster/primary.js');

interface Run {
  /** The primary's log records, in order. */
  readonly lines: Record<string, unknown>[];
  /** The code the primary exited with (undefined while it runs). */
  exitCode(): number | undefined;
  signal(name: 'SIGTERM' | 'SIGINT'): void;
}

let listeners: { SIGTERM: Function[]; SIGINT: Function[] };
let exitCode: number | undefined;

beforeEach(() => {
  forked.length = 0;
  exitCode = undefined;
  listeners = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
    exitCode = code;
  }) as typeof process.exit);
});
afterEach(() => {
  // Only the primary's own handlers go: the test runner's stay.
  for (const name of ['SIGTERM', 'SIGINT'] as const) for (const listener of process.listeners(name)) if (!listeners[name].includes(listener)) process.off(name, listener as NodeJS.SignalsListener);
  vi.restoreAllMocks();
  vi.useRealTimers();
});

function start(workers = 2, feedMaxStreamsPerClient = 16): Run {
  const lines: Record<string, unknown>[] = [];
  const record = (fields: Record<string, unknown>) => void lines.push(fields);
  // exitAfterLog: flush, then process.exit (stubbed above).
  const log = { info: record, warn: record, error: record, fatal: record, flush: (done: () => void) => done() } as unknown as Logger;
  runPrimary({ workers, feedMaxStreamsPerClient, operations: { shutdownGraceSeconds: 10 } } as unknown as Config, log);
  return { lines, exitCode: () => exitCode, signal: (name) => void process.emit(name, name) };
}

const events = (run: Run, event: string) => run.lines.filter((line) => line.event === event);

/** Starts the machine: every worker says hello, then ready (slot 0 first: only then is slot 1 forked). */
function startAll(run: Run, workers = 2): FakeWorker[] {
  forked[0]!.say({ inkan: 'hello' });
  forked[0]!.say({ inkan: 'ready' });
  for (const worker of forked.slice(1, workers)) {
    worker.say({ inkan: 'hello' });
    worker.say({ inkan: 'ready' });
  }
  expect(events(run, 'cluster.started')).toHaveLength(1);
  return forked.slice(0, workers);
}

describe('runPrimary', () => {
  it('starts slot 0 alone, gives it the schedules, and forks the others once it serves', () => {
    const run = start(3);
    expect(forked).toHaveLength(1);
    forked[0]!.say({ inkan: 'hello' });
    expect(forked[0]!.sent).toEqual([{ inkan: 'start', slot: 0, schedules: true }]);
    forked[0]!.say({ inkan: 'ready' });
    expect(forked).toHaveLength(3);
    forked[1]!.say({ inkan: 'hello' });
    forked[2]!.say({ inkan: 'hello' });
    expect(forked[1]!.sent).toContainEqual({ inkan: 'start', slot: 1, schedules: false });
    expect(forked[2]!.sent).toContainEqual({ inkan: 'start', slot: 2, schedules: false });
    forked[1]!.say({ inkan: 'ready' });
    expect(forked[0]!.sent.at(-1)).toEqual({ inkan: 'cluster', ready: 2, workers: 3 });
    expect(events(run, 'cluster.started')).toEqual([]);
    forked[2]!.say({ inkan: 'ready' });
    expect(events(run, 'cluster.started')).toHaveLength(1);
    for (const worker of forked) expect(worker.sent.at(-1)).toEqual({ inkan: 'cluster', ready: 3, workers: 3 });
  });

  it('counts every worker\'s revocation-feed streams against one limit, and gives back a dead worker\'s', () => {
    const run = start(2, 2);
    const [first, second] = startAll(run);
    const reserve = (worker: FakeWorker, id: number, clientId = 'rs') => {
      worker.say({ inkan: 'feed-reserve', id, clientId });
      return (worker.sent.at(-1) as { granted: boolean }).granted;
    };
    expect(reserve(first!, 1)).toBe(true);
    expect(first!.sent.at(-1)).toEqual({ inkan: 'feed-reserved', id: 1, clientId: 'rs', granted: true });
    expect(reserve(second!, 1)).toBe(true);
    expect(reserve(first!, 2)).toBe(false);
    expect(reserve(second!, 2)).toBe(false);
    expect(reserve(second!, 3, 'other')).toBe(true);
    second!.say({ inkan: 'feed-release', clientId: 'rs' });
    expect(reserve(first!, 3)).toBe(true);
    expect(reserve(second!, 4)).toBe(false);
    // The first worker held both of rs's slots: they end with it.
    vi.advanceTimersByTime(60_000);
    first!.die(null, 'SIGKILL');
    expect(reserve(second!, 5)).toBe(true);
    expect(reserve(second!, 6)).toBe(true);
    expect(reserve(second!, 7)).toBe(false);
  });

  it('stops without starting slot 1 when the signal comes while slot 0 starts, and exits 0', () => {
    const run = start();
    forked[0]!.say({ inkan: 'hello' });
    run.signal('SIGTERM');
    expect(forked[0]!.signals).toEqual(['SIGTERM']);
    // Slot 0 had finished starting as the signal came: its `ready` arrives after it.
    forked[0]!.say({ inkan: 'ready' });
    expect(forked).toHaveLength(1);
    forked[0]!.say({ inkan: 'stopping' });
    forked[0]!.die(0);
    expect(run.exitCode()).toBe(0);
  });

  it('exits 0 on SIGTERM after a crash it recovered from, once every worker has stopped cleanly', () => {
    const run = start();
    const [, second] = startAll(run);
    vi.advanceTimersByTime(60_000);
    second!.die(null, 'SIGKILL');
    expect(events(run, 'cluster.worker_exited')).toMatchObject([{ slot: 1, signal: 'SIGKILL', restartInMs: 0 }]);
    vi.advanceTimersByTime(0);
    expect(forked).toHaveLength(3);
    forked[2]!.say({ inkan: 'hello' });
    forked[2]!.say({ inkan: 'ready' });
    run.signal('SIGTERM');
    for (const worker of [forked[0]!, forked[2]!]) {
      expect(worker.signals).toEqual(['SIGTERM']);
      worker.die(0);
    }
    expect(run.exitCode()).toBe(0);
  });

  it('restarts a worker that dies young after 500 ms, then 1 s, then 2 s, and at once after a healthy run', () => {
    const run = start();
    startAll(run);
    let victim = forked[1]!;
    for (const delay of [500, 1000, 2000]) {
      const count = forked.length;
      victim.die(1);
      expect(events(run, 'cluster.worker_exited').at(-1)).toMatchObject({ slot: 1, exitCode: 1, restartInMs: delay });
      vi.advanceTimersByTime(delay - 1);
      expect(forked).toHaveLength(count);
      vi.advanceTimersByTime(1);
      expect(forked).toHaveLength(count + 1);
      victim = forked.at(-1)!;
      victim.say({ inkan: 'hello' });
      expect(victim.sent).toContainEqual({ inkan: 'start', slot: 1, schedules: false });
      victim.say({ inkan: 'ready' });
    }
    vi.advanceTimersByTime(10_000);
    victim.die(1);
    expect(events(run, 'cluster.worker_exited').at(-1)).toMatchObject({ restartInMs: 0 });
    expect(run.exitCode()).toBeUndefined();
  });

  it('gives the schedules to the replacement of slot 0', () => {
    const run = start();
    const [first] = startAll(run);
    first!.die(null, 'SIGKILL');
    vi.advanceTimersByTime(500);
    const replacement = forked.at(-1)!;
    replacement.say({ inkan: 'hello' });
    expect(replacement.sent).toContainEqual({ inkan: 'start', slot: 0, schedules: true });
  });

  it('stops every worker and exits 1 when a worker fails while the machine starts', () => {
    const run = start(3);
    forked[0]!.say({ inkan: 'hello' });
    forked[0]!.say({ inkan: 'ready' });
    forked[1]!.die(1);
    expect(events(run, 'cluster.start_failed')).toMatchObject([{ slot: 1, exitCode: 1 }]);
    expect(forked[0]!.signals).toEqual(['SIGTERM']);
    expect(forked[2]!.signals).toEqual(['SIGTERM']);
    forked[0]!.die(0);
    expect(run.exitCode()).toBeUndefined();
    forked[2]!.die(0);
    expect(run.exitCode()).toBe(1);
  });

  it('kills the workers at a second signal, and exits 1', () => {
    const run = start();
    const workers = startAll(run);
    run.signal('SIGTERM');
    run.signal('SIGINT');
    for (const worker of workers) expect(worker.signals).toEqual(['SIGTERM', 'SIGKILL']);
    for (const worker of workers) worker.die(null, 'SIGKILL');
    expect(run.exitCode()).toBe(1);
  });
});
