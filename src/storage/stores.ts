/**
 * Everything Inkan keeps, as one aggregate of store interfaces: what `createKnexStores`
 * (knex/index.ts, SQLite and PostgreSQL) returns and `deps.ts` hands out. Each store's interface
 * and records live in a file of their own beside this one; `test/storage/contract.ts` is the suite
 * every implementation must pass, on both engines.
 *
 * Conventions of every store: times are integer Unix seconds; `find*` returns `undefined` on a
 * miss and the domain decides what a miss means; secrets are only ever stored as hashes. Nothing
 * under storage/ imports a domain folder: the domain imports its store types from here.
 */
import type { ConsentStore, AuthorizationCodeStore, AuthorizationRequestStore } from './authorizations.js';
import type { ChangeNotifier } from './changes.js';
import type { ClientStore } from './clients.js';
import type { KeyStore } from './keys.js';
import type { PasskeyStore, WebAuthnChallengeStore } from './passkeys.js';
import type { LoginThrottleStore, SessionStore, UserStore } from './people.js';
import type { RefreshTokenStore } from './refresh.js';
import type { RevocationStore } from './revocations.js';
import type { SecurityEventStore, StreamStore } from './shared-signals.js';
import type { StatusListStore } from './status-lists.js';
import type { UsedJtiStore } from './used-jtis.js';
import type { LogoutDeliveryStore, SessionClientStore } from './backchannel-logout.js';
import type { RecoveryCodeStore, TotpFactorStore } from './second-factors.js';
import type { DeviceAuthorizationStore } from './device-authorizations.js';

export interface Stores {
  readonly clients: ClientStore;
  readonly keys: KeyStore;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly consents: ConsentStore;
  readonly authorizationRequests: AuthorizationRequestStore;
  readonly authorizationCodes: AuthorizationCodeStore;
  readonly loginThrottle: LoginThrottleStore;
  /** Refresh-token families and tokens. */
  readonly refreshTokens: RefreshTokenStore;
  /** Revocation records. */
  readonly revocations: RevocationStore;
  /** What happened to people (why sessions ended), for the Shared Signals streams. */
  readonly securityEvents: SecurityEventStore;
  /** Shared Signals event streams and their queues. */
  readonly ssfStreams: StreamStore;
  /** Token Status Lists. */
  readonly statusLists: StatusListStore;
  /** Single use of client assertion and DPoP proof jtis. */
  readonly usedJtis: UsedJtiStore;
  /** Which clients each login session signed in to (back-channel logout). */
  readonly sessionClients: SessionClientStore;
  /** The queue of back-channel logout tokens owed to clients. */
  readonly logoutDeliveries: LogoutDeliveryStore;
  /** People's passkeys (WebAuthn credentials). */
  readonly passkeys: PasskeyStore;
  /** The challenges of WebAuthn ceremonies in progress. */
  readonly webAuthnChallenges: WebAuthnChallengeStore;
  /** TOTP authenticators (secrets sealed) and the last time step each accepted. */
  readonly totpFactors: TotpFactorStore;
  /** Recovery codes, keyed hashes, single-use. */
  readonly recoveryCodes: RecoveryCodeStore;
  /** RFC 8628 device authorization requests, their codes hashed. */
  readonly deviceAuthorizations: DeviceAuthorizationStore;
  /** Change fan-out between processes (keys, revocations). */
  readonly changes: ChangeNotifier;
  /** Answers when the database is reachable (readiness). */
  ping(): Promise<void>;
  /**
   * Starts the database's upkeep, which one process of the machine runs (the server that runs the
   * schedules, server.ts): on SQLite the WAL checkpoints (knex/wal-checkpoints.ts); nothing on
   * PostgreSQL, which keeps itself. `close` stops it. Failures go to `onError`; the next try follows.
   */
  startUpkeep(onError: (error: Error) => void): void;
  close(): Promise<void>;
}
