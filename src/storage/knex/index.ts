import type { DatabaseConfig } from '../../config.js';
import type { Stores } from '../stores.js';
import { knexClientStore } from './client-store.js';
import { knexKeyStore } from './key-store.js';
import { migrateToLatest, openDatabase } from './connection.js';

export interface KnexStoresOptions {
  /** Apply pending migrations before returning (the server and CLI do; a migration-only run does too). */
  readonly migrate: boolean;
}

export async function createKnexStores(database: DatabaseConfig, options: KnexStoresOptions): Promise<Stores> {
  const db = openDatabase(database);
  try {
    if (options.migrate) await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    clients: knexClientStore(db),
    keys: knexKeyStore(db),
    async ping() {
      await db.raw('select 1');
    },
    close: () => db.destroy(),
  };
}
