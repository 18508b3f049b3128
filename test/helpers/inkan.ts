/**
 * Real Inkan servers for the tests: a fresh folder with its own SQLite file (or a PostgreSQL
 * database) and KEYS_DIR, an ephemeral port, and the CLI bound to the same environment.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server.js';
import { freePort } from './postgres-server.js';
import { recordSecrets } from './secrets.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const LOG_CAPTURE_DIR = path.join(ROOT, 'test-output', 'logs');

export interface TestEnv {
  readonly dir: string;
  readonly env: Record<string, string>;
}

/** A fresh folder and the environment that points Inkan at it. */
export function testEnv(overrides: Record<string, string> = {}): TestEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-test-'));
  return {
    dir,
    env: {
      DATABASE_URL: `sqlite:${path.join(dir, 'inkan.sqlite')}`,
      KEYS_DIR: path.join(dir, 'keys'),
      LOG_LEVEL: 'info',
      // The CLI's audit lines join the run's log capture, which the secret scan reads.
      CLI_AUDIT_LOG: path.join(LOG_CAPTURE_DIR, `cli-audit-${process.pid}.log`),
      ...overrides,
    },
  };
}

/** Every log line of the test run also goes to test-output/logs, so a test can prove no secret reached them. */
export function captureStream(onLine?: (line: string) => void): DestinationStream {
  fs.mkdirSync(LOG_CAPTURE_DIR, { recursive: true });
  const file = path.join(LOG_CAPTURE_DIR, `${process.pid}.log`);
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      fs.appendFile(file, chunk, callback);
    },
  });
  if (onLine === undefined) return stream;
  // Seen the moment it is logged (the file write may queue behind earlier ones).
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') onLine(line);
      stream.write(chunk);
    },
  };
}

export interface TestServer extends RunningServer {
  readonly issuer: string;
  readonly env: Record<string, string>;
  readonly dir: string;
  cli(args: readonly string[], stdin?: string): Promise<CliResult>;
}

export async function startInkan(
  options: {
    env?: Record<string, string>;
    testEnv?: TestEnv;
    core?: ServerOptions;
    /** Sees every log line too (audit tests). */
    onLog?: (line: string) => void;
    /** The issuer's host (bound to 127.0.0.1 either way): `localhost` for passkeys, since an RP ID cannot be an IP address. */
    issuerHost?: '127.0.0.1' | 'localhost';
  } = {},
): Promise<TestServer> {
  const base = options.testEnv ?? testEnv();
  const port = await freePort();
  const env = { ...base.env, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://${options.issuerHost ?? '127.0.0.1'}:${port}`, ...options.env };
  const config = loadConfig(env, base.dir);
  const server = await startServer(config, createLogger(config.logLevel, captureStream(options.onLog)), options.core);
  return {
    ...server,
    issuer: config.issuer,
    env,
    dir: base.dir,
    cli: (args, stdin) => runCli(args, { env, cwd: base.dir, stdin }),
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (throws if it is not exactly one JSON document). */
  json<T = any>(): T;
}

/** Runs the compiled CLI as operators do (`npm run --silent cli -- …` runs the same file). */
export function runCli(args: readonly string[], options: { env: Record<string, string>; cwd?: string; stdin?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // Passwords and key material come in on stdin; client secrets go out on stdout (test/helpers/secrets.ts).
      recordSecrets(options.stdin?.replace(/\r?\n$/, ''), ...[...stdout.matchAll(/"client_secret": "([^"]+)"/g)].map((match) => match[1]));
      resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
