/**
 * `createKnexStores`: opens the configured database (waiting for PostgreSQL, migrating when asked)
 * and returns every store on it, the one `Stores` the server and the CLI use. On SQLite the hot
 * methods of three stores are overlaid with prepared statements (sqlite-*-store.ts); the storage
 * contract suite runs against exactly what this returns, on both engines.
 */
import { DEFAULT_DATABASE_TUNING, type DatabaseConfig, type DatabaseTuning } from '../database.js';
import type { Stores } from '../stores.js';
import { knexClientStore } from './client-store.js';
import { knexKeyStore } from './key-store.js';
import { knexUserStore } from './user-store.js';
import { sqliteSessions } from './sqlite-session.js';
import { sqliteUserStore } from './sqlite-user-store.js';
import { sqliteRefreshTokenStore } from './sqlite-refresh-store.js';
import { knexSessionStore } from './session-store.js';
import {
  knexAuthorizationCodeStore,
  knexAuthorizationRequestStore,
  knexConsentStore,
} from './authorization-store.js';
import { knexLoginThrottleStore } from './login-throttle-store.js';
import { knexRefreshTokenStore } from './refresh-store.js';
import { knexRevocationStore } from './revocation-store.js';
import { knexStatusListStore } from './status-list-store.js';
import { knexSecurityEventStore, knexStreamStore } from './shared-signals-store.js';
import { sqliteStatusListStore } from './sqlite-status-list-store.js';
import { knexUsedJtiStore } from './used-jti-store.js';
import { knexLogoutDeliveryStore, knexSessionClientStore } from './backchannel-logout-store.js';
import { knexPasskeyStore, knexWebAuthnChallengeStore } from './passkey-store.js';
import { knexRecoveryCodeStore, knexTotpFactorStore } from './second-factor-store.js';
import { knexDeviceAuthorizationStore } from './device-authorization-store.js';
import { migrateToLatest, openDatabase, waitForDatabase } from './connection.js';
import { postgresChangeNotifier, sqliteChangeNotifier, type ChangeFeedLog } from './change-feed.js';
import { statementDescriber, traceKnexStatements } from './statement-spans.js';
import { startWalCheckpoints, type WalCheckpoints } from './wal-checkpoints.js';

/** Readiness must answer quickly even when PostgreSQL hangs rather than refuses. */
const PING_TIMEOUT_MS = 2000;

export interface KnexStoresOptions {
  /** Apply pending migrations before returning (the server and CLI do; a migration-only run does too). */
  readonly migrate: boolean;
  /** Pool size, statement timeout, start-up wait (PostgreSQL); defaults when absent. */
  readonly tuning?: DatabaseTuning;
  /** Where the change feed reports a lost LISTEN connection. */
  readonly log?: ChangeFeedLog;
}

export async function createKnexStores(database: DatabaseConfig, options: KnexStoresOptions): Promise<Stores> {
  const db = openDatabase(database, options.tuning);
  try {
    await waitForDatabase(db, database, options.tuning);
    if (options.migrate) await migrateToLatest(db, database, options.tuning);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // A span per statement of a traced request (nothing while tracing is off: statement-spans.ts).
  traceKnexStatements(db, statementDescriber(database.engine === 'postgres' ? 'postgresql' : 'sqlite'));
  const changes = database.engine === 'postgres' ? postgresChangeNotifier(db, database.url, options.log) : sqliteChangeNotifier(sharedFile(database.filename), options.log);
  // Two-step key changes may hold one pooled connection for the lock while they work on another.
  const keyChangeLock = database.engine === 'postgres' && (options.tuning ?? DEFAULT_DATABASE_TUNING).poolMax >= 2;
  // On SQLite the statements of every refresh grant and of the status lists' group commit skip
  // knex's per-statement cost (sqlite-session.ts).
  const sqlite = database.engine === 'sqlite' ? sqliteSessions(db) : undefined;
  let checkpoints: WalCheckpoints | undefined;
  return {
    clients: knexClientStore(db, changes),
    keys: knexKeyStore(db, changes, { advisoryLock: keyChangeLock }),
    users: sqlite === undefined ? knexUserStore(db) : sqliteUserStore(knexUserStore(db), sqlite),
    sessions: knexSessionStore(db),
    consents: knexConsentStore(db),
    authorizationRequests: knexAuthorizationRequestStore(db),
    authorizationCodes: knexAuthorizationCodeStore(db),
    loginThrottle: knexLoginThrottleStore(db),
    refreshTokens: sqlite === undefined ? knexRefreshTokenStore(db) : sqliteRefreshTokenStore(knexRefreshTokenStore(db), sqlite),
    revocations: knexRevocationStore(db, changes),
    securityEvents: knexSecurityEventStore(db),
    ssfStreams: knexStreamStore(db),
    statusLists: sqlite === undefined ? knexStatusListStore(db) : sqliteStatusListStore(knexStatusListStore(db), sqlite),
    usedJtis: knexUsedJtiStore(db),
    sessionClients: knexSessionClientStore(db),
    logoutDeliveries: knexLogoutDeliveryStore(db, changes),
    passkeys: knexPasskeyStore(db),
    webAuthnChallenges: knexWebAuthnChallengeStore(db),
    totpFactors: knexTotpFactorStore(db),
    recoveryCodes: knexRecoveryCodeStore(db),
    deviceAuthorizations: knexDeviceAuthorizationStore(db),
    changes,
    async ping() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the database did not answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
      });
      try {
        await Promise.race([db.raw('select 1'), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    startUpkeep(onError) {
      const file = database.engine === 'sqlite' ? sharedFile(database.filename) : undefined;
      if (file !== undefined) checkpoints ??= startWalCheckpoints(file, onError);
    },
    async close() {
      await checkpoints?.stop();
      await changes.close();
      await db.destroy();
    },
  };
}

/** The database file other processes can open too (undefined for SQLite's in-memory databases). */
function sharedFile(filename: string): string | undefined {
  return filename === ':memory:' || filename === '' || filename.startsWith('file::memory:') ? undefined : filename;
}
