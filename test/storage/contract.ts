/**
 * The storage contract: what every implementation of the store interfaces in src/storage/ must
 * do, whatever the engine. `runStorageContract` runs every section against one implementation;
 * sqlite.test.ts and postgres.test.ts call it, so the second engine is never an afterthought.
 *
 * One section per file of src/storage/ (clients-contract.ts for storage/clients.ts, …), each a
 * function taking the `CurrentStores` of the running test: a new, migrated, empty database for
 * every test, opened as the server opens it (the SQLite overlays included), and `peer()` for the
 * stores of another process on the same database. Every member of every store is exercised; a new
 * store adds its own `xxxContract(stores, traits)` and one line below.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/storage/stores.js';
import { authorizationStoresContract } from './authorizations-contract.js';
import { changeNotifierContract } from './changes-contract.js';
import { clientStoreContract } from './clients-contract.js';
import { keyStoreContract } from './keys-contract.js';
import { passkeyStoresContract } from './passkeys-contract.js';
import { peopleStoresContract } from './people-contract.js';
import { refreshTokenStoreContract } from './refresh-contract.js';
import { revocationStoreContract } from './revocations-contract.js';
import { securityEventStoreContract, streamStoreContract } from './shared-signals-contract.js';
import { statusListStoreContract } from './status-lists-contract.js';
import { usedJtiStoreContract } from './used-jtis-contract.js';
import { backchannelLogoutStoresContract } from './backchannel-logout-contract.js';
import { secondFactorStoresContract } from './second-factors-contract.js';
import { deviceAuthorizationStoreContract } from './device-authorizations-contract.js';

/** A new, empty database of one engine. */
export interface ContractDatabase {
  /** One process's stores on it, as the server opens them; `migrate` for the first one. */
  open(migrate: boolean): Promise<Stores>;
}

/** Where the engines differ by design, so that a section can say what each must do. */
export interface EngineTraits {
  /**
   * Changes committed by one process are pushed to the others (PostgreSQL LISTEN/NOTIFY); on
   * SQLite they reach the publishing process only, and other processes see them at their next poll.
   */
  readonly pushesChanges: boolean;
  /** `withChangeLock` excludes the other processes (a PostgreSQL advisory lock); SQLite's single writer needs none. */
  readonly exclusiveChangeLock: boolean;
}

/** The stores of the running test (fresh, migrated, empty), and `peer()`: another process's on the same database. */
export interface CurrentStores {
  (): Stores;
  /** Opens the stores of another process on the test's database (closed after the test). */
  peer(): Promise<Stores>;
}

/** Fresh stores on a new database for every test of the enclosing describe, closed after it. */
export function freshStores(newDatabase: () => Promise<ContractDatabase>): CurrentStores {
  let database: ContractDatabase | undefined;
  let opened: Stores[] = [];
  beforeEach(async () => {
    database = await newDatabase();
    opened = [await database.open(true)];
  });
  afterEach(async () => {
    const closing = opened;
    opened = [];
    database = undefined;
    for (const stores of closing.reverse()) await stores.close();
  });
  const current = (): Stores => {
    if (opened[0] === undefined) throw new Error('stores used outside a test');
    return opened[0];
  };
  return Object.assign(current, {
    async peer(): Promise<Stores> {
      if (database === undefined) throw new Error('stores used outside a test');
      const stores = await database.open(false);
      opened.push(stores);
      return stores;
    },
  });
}

export function runStorageContract(name: string, newDatabase: () => Promise<ContractDatabase>, traits: EngineTraits): void {
  describe(`storage contract: ${name}`, () => {
    const stores = freshStores(newDatabase);
    describe('Stores', () => {
      it('answers a ping while the database is reachable', async () => {
        await expect(stores().ping()).resolves.toBeUndefined();
      });
    });
    describe('ClientStore', () => clientStoreContract(stores));
    describe('KeyStore', () => keyStoreContract(stores, traits));
    describe('ChangeNotifier', () => changeNotifierContract(stores, traits));
    describe('UserStore, SessionStore, LoginThrottleStore', () => peopleStoresContract(stores));
    describe('ConsentStore, AuthorizationRequestStore, AuthorizationCodeStore', () => authorizationStoresContract(stores));
    describe('RefreshTokenStore', () => refreshTokenStoreContract(stores));
    describe('RevocationStore', () => revocationStoreContract(stores));
    describe('SecurityEventStore', () => securityEventStoreContract(stores));
    describe('StreamStore', () => streamStoreContract(stores));
    describe('StatusListStore', () => statusListStoreContract(stores));
    describe('UsedJtiStore', () => usedJtiStoreContract(stores));
    describe('SessionClientStore, LogoutDeliveryStore', () => backchannelLogoutStoresContract(stores));
    describe('PasskeyStore, WebAuthnChallengeStore', () => passkeyStoresContract(stores));
    describe('TotpFactorStore, RecoveryCodeStore', () => secondFactorStoresContract(stores));
    describe('DeviceAuthorizationStore', () => deviceAuthorizationStoreContract(stores));
  });
}
