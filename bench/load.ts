/**
 * One fixed-time load measurement: Debian's `wrk` when present (C, light on the core it shares
 * nothing with), else autocannon. Both run pinned to the load core, 32 keep-alive connections.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LoadRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Responses that were not 2xx/3xx, plus socket errors. */
  readonly errors: number;
  /** Responses received in the measurement (wrk and autocannon report it). */
  readonly requests?: number;
  /** The server's CPU time (user + system, all its threads) per response, when the caller measured it (run.ts). */
  readonly cpuMicrosPerRequest?: number;
}

const CONNECTIONS = 32;
/** Whether Debian's `wrk` is installed (else autocannon loads fixed requests, and scripted loads fall back to node drivers). */
export const hasWrk = spawnSync('wrk', ['--version']).error === undefined;
const run = promisify(execFile);

/** Runs a load generator (pinned when asked) without blocking, so two can run side by side. */
async function generator(command: string, args: string[], core: string, pin: boolean): Promise<string> {
  const { stdout } = pin ? await run('taskset', ['-c', core, command, ...args], { maxBuffer: 16 * 1024 * 1024 }) : await run(command, args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

function luaString(value: string): string {
  return JSON.stringify(value);
}

function wrkMs(text: string): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text);
  if (match === null) return NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

async function withWrk(request: LoadRequest, seconds: number, core: string, pin: boolean, threads: number): Promise<LoadResult> {
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-wrk-')), 'request.lua');
  const lines = [`wrk.method = ${luaString(request.method)}`];
  if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`);
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  fs.writeFileSync(script, `${lines.join('\n')}\n`);
  try {
    return await runWrk(request.url, { path: script, args: [] }, seconds, core, pin, threads);
  } finally {
    fs.rmSync(path.dirname(script), { recursive: true, force: true });
  }
}

/** A Lua script for wrk (`-s`) with its arguments (after `--`); it may print `Script errors: <n>` from done(). */
export interface WrkScript {
  readonly path: string;
  readonly args: readonly string[];
}

async function runWrk(url: string, script: WrkScript, seconds: number, core: string, pin: boolean, threads: number): Promise<LoadResult> {
  const args = [`-t${threads}`, `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', script.path, url, ...(script.args.length > 0 ? ['--', ...script.args] : [])];
  const out = await generator('wrk', args, core, pin);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const scriptErrors = Number(/Script errors:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + scriptErrors + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  return {
    requestsPerSecond: rps,
    requests: Number(/(\d+) requests in/.exec(out)?.[1]),
    p50Ms: wrkMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99Ms: wrkMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    errors,
  };
}

async function withAutocannon(request: LoadRequest, seconds: number, core: string, pin: boolean): Promise<LoadResult> {
  const bin = path.resolve(import.meta.dirname, '../../node_modules/autocannon/autocannon.js');
  const args = [bin, '-c', String(CONNECTIONS), '-d', String(seconds), '-m', request.method, '-j'];
  for (const [name, value] of Object.entries(request.headers ?? {})) args.push('-H', `${name}=${value}`);
  if (request.body !== undefined) args.push('-b', request.body);
  args.push(request.url);
  const json = JSON.parse(await generator(process.execPath, args, core, pin)) as { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
  return { requestsPerSecond: json.requests.average, requests: json.requests.total, p50Ms: json.latency.p50, p99Ms: json.latency.p99, errors: json.non2xx + json.errors };
}

/** Load from a script of wrk's own, unpinned (wrk only: check `hasWrk`). */
export async function measureWrkScript(url: string, script: WrkScript, seconds: number, threads: number): Promise<LoadResult> {
  return runWrk(url, script, seconds, '', false, threads);
}

/** `threads`: wrk's threads (one unless a part loads several server cores); autocannon has one. */
export async function measureLoad(request: LoadRequest, seconds: number, core: string, pin: boolean, threads = 1): Promise<LoadResult> {
  return hasWrk ? withWrk(request, seconds, core, pin, threads) : withAutocannon(request, seconds, core, pin);
}
