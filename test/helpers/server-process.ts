/**
 * Inkan as operators run it: `node dist/src/main.js` (what `npm start` runs) as its own process,
 * on a test folder, its log joining the run's capture (the secret scan reads it). For the tests
 * that kill a server (SIGKILL) and start another on the same database, port and issuer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LOG_CAPTURE_DIR, ROOT, runCli, type CliResult } from './inkan.js';

export interface ServerProcess {
  readonly issuer: string;
  /** Its process id (with WORKERS > 1, the cluster's primary). */
  readonly pid: number;
  readonly env: Record<string, string>;
  /** Where its standard output (the log) goes. */
  readonly logFile: string;
  /** Its exit code once it exits (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** What it has written to its standard error so far. */
  stderr(): string;
  cli(args: readonly string[], stdin?: string): Promise<CliResult>;
  /** Sends the signal and resolves once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills whatever a test left running (call from afterAll/afterEach). */
export function killServerProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Starts the server and resolves once /readyz answers 200. `env` must hold PORT, HOST and ISSUER. */
export async function startServerProcess(dir: string, env: Record<string, string>, timeoutMs = 20_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  fs.mkdirSync(LOG_CAPTURE_DIR, { recursive: true });
  const logFile = path.join(LOG_CAPTURE_DIR, `spawned-${process.pid}-${child.pid}.log`);
  child.stdout!.on('data', (chunk: Buffer) => fs.appendFileSync(logFile, chunk));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const issuer = env.ISSUER!;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited before it was ready: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`the server was not ready within ${timeoutMs} ms: ${stderr}`);
    if (await fetch(`${issuer}/readyz`).then((response) => response.status === 200, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    issuer,
    pid: child.pid!,
    env,
    logFile,
    exited,
    stderr: () => stderr,
    cli: (args, stdin) => runCli(args, { env, cwd: dir, stdin }),
    async kill(signal) {
      child.kill(signal);
      await exited;
      running.delete(child);
    },
  };
}
