/**
 * The one wiring place. `openCore` opens what both the server and the CLI need (database with
 * migrations applied, key-encryption key, key manager); `createDeps` adds what a server needs on
 * top (a loaded keyring, the grants). Tests call these with their own config, clock and logger.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { type Clock, systemClock } from './clock.js';
import { clientAuthenticator, type ClientAuthenticator } from './oauth/client-authentication.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import type { Grant } from './grants/grant.js';
import { keySealer, loadKek, type KeySealer } from './keys/encryption.js';
import { KeyManager, lifecyclePolicy } from './keys/key-manager.js';
import { Keyring } from './keys/keyring.js';
import type { AccessTokenDeps } from './tokens/access-token.js';
import type { KeyChanges, Stores } from './storage/stores.js';
import { createKnexStores } from './storage/knex/index.js';
import type { Readiness } from './http/endpoints/health.js';

export interface CoreOptions {
  readonly clock?: Clock;
  /** Fault injection for crash tests: called after a key plan is made, before it is written. */
  readonly beforeKeyApply?: (changes: KeyChanges) => void;
}

export interface Core {
  readonly config: Config;
  readonly clock: Clock;
  readonly stores: Stores;
  readonly sealer: KeySealer;
  readonly keyManager: KeyManager;
}

export async function openCore(config: Config, options: CoreOptions = {}): Promise<Core> {
  const clock = options.clock ?? systemClock;
  const stores = await createKnexStores(config.database, { migrate: true });
  try {
    const { keys } = await stores.keys.snapshot();
    // A new KEK only for a database without keys: otherwise a lost KEK must stop start-up.
    const sealer = keySealer(loadKek(config, keys.length === 0));
    const keyManager = new KeyManager({
      keyStore: stores.keys,
      sealer,
      clock,
      policy: lifecyclePolicy(config),
      ...(options.beforeKeyApply ? { beforeApply: options.beforeKeyApply } : {}),
    });
    return { config, clock, stores, sealer, keyManager };
  } catch (error) {
    await stores.close();
    throw error;
  }
}

export interface Deps extends Core {
  readonly log: Logger;
  readonly keyring: Keyring;
  readonly readiness: Readiness;
  readonly clientAuthenticator: ClientAuthenticator;
  readonly grants: ReadonlyMap<string, Grant>;
}

export async function createDeps(config: Config, log: Logger, options: CoreOptions = {}): Promise<Deps> {
  const core = await openCore(config, options);
  try {
    // Creates the first keys on an empty database, and repairs an alg left without an active key.
    await core.keyManager.runSchedule();
    const keyring = new Keyring(core.stores.keys, core.sealer, core.clock);
    await keyring.load();
    const tokenDeps: AccessTokenDeps = {
      keyring,
      clock: core.clock,
      issuer: config.issuer,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    };
    const grants = new Map<string, Grant>(
      [clientCredentialsGrant(tokenDeps)].map((grant) => [grant.grantType, grant]),
    );
    return {
      ...core,
      log,
      keyring,
      readiness: { accepting: true },
      clientAuthenticator: clientAuthenticator(core.stores.clients),
      grants,
    };
  } catch (error) {
    await core.stores.close();
    throw error;
  }
}
