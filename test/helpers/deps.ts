/**
 * Inkan without a server, for the tests that call a module directly (a grant's `handle`, an admin
 * operation): the config of a fresh test folder (`testEnv`: its own SQLite file and KEYS_DIR) and
 * the very wiring functions the server and the CLI call (src/deps.ts): `openCore` (the database
 * with its migrations applied, the key-encryption key, the key manager, the revoker) and
 * `createDeps` (on top: real keys in a loaded keyring, the grants, the refresh-token service). The
 * test's clock is the only clock; the log joins the run's capture, so the secret scan reads it.
 */
import fs from 'node:fs';
import { expect } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDeps, openCore, type Core, type Deps } from '../../src/deps.js';
import { createLogger } from '../../src/log.js';
import { captureStream, testEnv } from './inkan.js';

export const TEST_ISSUER = 'https://inkan.test';

/** What the opener returns, and `close()`, which closes the database and removes the test folder. */
export type Closable<T> = T & { close(): Promise<void> };

export interface TestDepsOptions {
  readonly clock: Clock;
  /** More environment for loadConfig (the test folder's DATABASE_URL, KEYS_DIR and ISSUER are set). */
  readonly env?: Record<string, string>;
}

function testConfig(env: Record<string, string> = {}): { config: Config; dir: string } {
  const base = testEnv({ ISSUER: TEST_ISSUER, ...env });
  return { config: loadConfig(base.env, base.dir), dir: base.dir };
}

const testLogger = (config: Config) => createLogger(config.logLevel, captureStream());

/** What the CLI opens (openCore): stores, key manager and revoker, but no keys until something makes them. */
export async function openTestCore(options: TestDepsOptions): Promise<Closable<Core>> {
  const { config, dir } = testConfig(options.env);
  const core = await openCore(config, { clock: options.clock, log: testLogger(config) });
  return {
    ...core,
    close: async () => {
      await core.stores.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a server runs on (createDeps): the first keys made and loaded, the grants registered. */
export async function createTestDeps(options: TestDepsOptions): Promise<Closable<Deps>> {
  const { config, dir } = testConfig(options.env);
  const deps = await createDeps(config, testLogger(config), { clock: options.clock });
  return {
    ...deps,
    close: async () => {
      await deps.statusLists.stop();
      await deps.stores.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The error `promise` rejects with, checked to be a `type`; the test fails when it resolves. */
export async function refusal<T extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => T): Promise<T> {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(caught).toBeInstanceOf(type);
  return caught as T;
}
