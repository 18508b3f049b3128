/**
 * What the WORKERS tests share (workers*.test.ts): `npm start`'s entry point run as a cluster of
 * two workers (WORKERS=2, explicitly, whatever the machine's cores), its worker processes as the
 * kernel lists them, requests each on a fresh TCP connection (node:cluster hands each accepted
 * connection to the next worker in turn, so fresh connections spread over the workers while a
 * keep-alive pool would stick to one), and the log read back: every line of a worker, the access
 * line included, carries `worker: <slot>`, so a request sent with its own X-Request-Id tells which
 * worker answered it.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { expect } from 'vitest';
import { LOG_CAPTURE_DIR, ROOT, runCli, testEnv } from '../../helpers/inkan.js';
import { freePort } from '../../helpers/postgres-server.js';
import { basicAuth, type RegisteredClient } from '../../helpers/clients.js';
import { recordTokenResponse } from '../../helpers/secrets.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { SseParser, type FeedEvent } from '../../../packages/verifier/src/feed-client.js';
import { eventually } from '../../helpers/eventually.js';

export interface Workers {
  readonly server: ServerProcess;
  readonly dir: string;
  readonly env: Record<string, string>;
}

/** The environment of a two-worker server on a fresh folder and port (`extra` may override WORKERS). */
export async function workersEnv(extra: Record<string, string> = {}): Promise<{ dir: string; env: Record<string, string> }> {
  const { dir, env } = testEnv();
  const port = await freePort();
  return { dir, env: { ...env, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, WORKERS: '2', ...extra } };
}

/** `node dist/src/main.js` with WORKERS=2, once /readyz says every worker is ready. */
export async function startWorkers(extra: Record<string, string> = {}): Promise<Workers> {
  const { dir, env } = await workersEnv(extra);
  // Two workers boot one after the other on a loaded machine: a generous start-up bound.
  const server = await startServerProcess(dir, env, 60_000);
  return { server, dir, env };
}

/** The primary's child processes, from the kernel (/proc/<pid>/task/<tid>/children). */
export function childPids(pid: number): number[] {
  const tasks = fs.readdirSync(`/proc/${pid}/task`);
  const children = tasks.flatMap((task) => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter((each) => each !== '');
    } catch {
      return []; // the thread ended meanwhile
    }
  });
  return [...new Set(children.map(Number))].sort((a, b) => a - b);
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request on a connection of its own (`agent: false`: a new TCP connection, `Connection: close`). */
export function freshRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      response.on('error', reject);
    });
    request.setTimeout(20_000, () => request.destroy(new Error(`no answer from ${url} within 20 s`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** A request id of our own: the access line that carries it names the worker that answered. */
export const requestId = (): string => crypto.randomUUID();

/** A client registered through the CLI on the server's database (before or while it runs). */
export async function createClient(workers: Workers, args: readonly string[]): Promise<RegisteredClient> {
  const created = await runCli(['clients', 'create', ...args], { env: workers.env, cwd: workers.dir });
  expect(created.code, created.stderr).toBe(0);
  return created.json<RegisteredClient>();
}

export interface IssuedToken {
  readonly status: number;
  readonly accessToken: string | undefined;
  readonly requestId: string;
  readonly body: string;
}

/** A client_credentials token request on a fresh connection. */
export async function freshToken(issuer: string, client: RegisteredClient, scope?: string): Promise<IssuedToken> {
  const id = requestId();
  const answer = await freshRequest(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': id },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) }).toString(),
  });
  let accessToken: string | undefined;
  if (answer.status === 200) {
    const parsed = JSON.parse(answer.body) as { access_token: string };
    recordTokenResponse(parsed);
    accessToken = parsed.access_token;
  }
  return { status: answer.status, accessToken, requestId: id, body: answer.body };
}

/** The server's log (all its processes' JSON lines, as written so far). */
export function logLines(server: ServerProcess): Record<string, unknown>[] {
  if (!fs.existsSync(server.logFile)) return [];
  return fs
    .readFileSync(server.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return []; // a line still being written
      }
    });
}

export const linesOf = (server: ServerProcess, event: string): Record<string, unknown>[] => logLines(server).filter((line) => line.event === event);

/**
 * The worker slot that answered each request id, once every id has its access line (a worker's
 * log is written in chunks, at least every second).
 */
export async function answeredBy(server: ServerProcess, ids: readonly string[], timeoutMs = 10_000): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = new Map<string, number>();
    for (const line of logLines(server)) {
      if (line.msg === 'request' && typeof line.reqId === 'string' && ids.includes(line.reqId)) found.set(line.reqId, line.worker as number);
    }
    if (found.size === ids.length) return found;
    if (Date.now() > deadline) throw new Error(`access lines found for ${found.size} of ${ids.length} requests`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The sum of every sample of a metric (whatever its labels), or of those with `labels`. */
export function sumOf(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) sum += Number(match[3]);
  }
  return sum;
}

export interface FeedSubscriber {
  readonly requestId: string;
  readonly events: FeedEvent[];
  /** The status the feed answered with (once the headers came). */
  readonly status: Promise<number>;
  /** The stream as received so far. */
  raw(): string;
  /** Resolves when the server has ended the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** A subscriber of the revocation feed on a connection of its own. */
export function subscribeFeed(issuer: string, bearer: string): FeedSubscriber {
  const id = requestId();
  const events: FeedEvent[] = [];
  const parser = new SseParser();
  let raw = '';
  let request: http.ClientRequest;
  let ended: () => void;
  const end = new Promise<void>((resolve) => (ended = resolve));
  const status = new Promise<number>((resolve, reject) => {
    request = http.get(`${issuer}/revocations/feed`, { headers: { authorization: `Bearer ${bearer}`, 'x-request-id': id }, agent: false }, (response) => {
      resolve(response.statusCode!);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        raw += chunk;
        events.push(...parser.push(chunk));
      });
      response.on('end', () => ended());
      response.on('error', () => {});
    });
    request.on('error', reject);
  });
  status.catch(() => {});
  return { requestId: id, events, status, raw: () => raw, ended: end, close: () => request.destroy() };
}

export interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node dist/src/main.js` run to its exit (a start that fails); SIGKILLed after `timeoutMs`. */
export function runToExit(dir: string, env: Record<string, string>, timeoutMs = 60_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // Its log joins the run's capture, which the secret scan reads (test/helpers/secrets.ts).
      fs.mkdirSync(LOG_CAPTURE_DIR, { recursive: true });
      fs.appendFileSync(path.join(LOG_CAPTURE_DIR, `spawned-${process.pid}-${child.pid}.log`), stdout);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `count` revocation-feed subscribers (a `revocations:read` token each), opened one after the other
 * on fresh connections, which node:cluster deals to the workers in turn; checks that every worker
 * holds one (by the `worker` of their access lines) before returning them.
 */
export async function subscribeOnEveryWorker(workers: Workers, reader: RegisteredClient, count: number): Promise<FeedSubscriber[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) tokens.push((await freshToken(workers.server.issuer, reader, 'revocations:read')).accessToken!);
  const subscribers: FeedSubscriber[] = [];
  for (const token of tokens) {
    const subscriber = subscribeFeed(workers.server.issuer, token);
    subscribers.push(subscriber);
    expect(await subscriber.status).toBe(200);
    await eventually(() => subscriber.events.some((event) => event.type === 'ready'), 10_000);
  }
  const slots = await answeredBy(workers.server, subscribers.map((subscriber) => subscriber.requestId));
  expect(new Set(slots.values())).toEqual(new Set([0, 1]));
  return subscribers;
}
