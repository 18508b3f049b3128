/**
 * The one wiring place: it constructs and connects, and decides nothing. `openCore` opens what
 * both the server and the CLI need (database with migrations applied, key-encryption key, key
 * manager); `createDeps` adds what a server needs on top (a loaded keyring, the grants, the
 * authorization flow). Tests call these with their own config, clock and logger. What the server
 * owns itself (its readiness, its listeners) is server.ts's; nothing here knows HTTP.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { type Clock, systemClock } from './clock.js';
import { clientAuthenticator, type ClientAuthenticator } from './oauth/client-authentication.js';
import { cachedClientLookup, type CachedClientLookup } from './clients/client-cache.js';
import { grantRegistry, type GrantRegistry } from './grants/registry.js';
import { keySealer, loadKek, type KeySealer } from './keys/encryption.js';
import { KeyManager, lifecyclePolicy } from './keys/key-manager.js';
import { Keyring } from './keys/keyring.js';
import type { AccessTokenDeps } from './tokens/access-token.js';
import type { IdTokenDeps } from './tokens/id-token.js';
import type { KeyChanges } from './storage/keys.js';
import type { Stores } from './storage/stores.js';
import { createKnexStores } from './storage/knex/index.js';
import { RevocationService } from './revocation/service.js';
import { RevocationFeed } from './revocation/feed.js';
import { StatusLists } from './revocation/status-lists.js';
import { createRevoker, type Revoker } from './revocation/revoker.js';
import { reportingCredentialChanges, securityEventLog, type SecurityEventLog } from './revocation/security-events.js';
import { deriveSuccessorKey, RefreshTokenService } from './refresh/service.js';
import { Authorizer } from './login/authorizer.js';
import { LoginThrottle } from './accounts/throttle.js';
import { ENDPOINT_PATHS, browserPath } from './oauth/discovery.js';
import { issuedAccessTokenVerifier, type IssuedAccessTokenVerifier } from './tokens/issued-access-token.js';
import { type AuditLog, NO_AUDIT, pinoAuditLog } from './audit/audit-log.js';
import { Metrics } from './metrics/metrics.js';
import { issuanceRecorder } from './audit/token-issuance.js';
import { signInRecorder } from './audit/sign-ins.js';
import { clientAssertionVerifier } from './oauth/client-assertion.js';
import { clientKeySource } from './clients/client-keys.js';
import { federatedAssertionVerifier } from './federation/federated-assertion.js';
import { issuerKeySource } from './federation/issuer-keys.js';
import { dpop, type Dpop } from './oauth/dpop.js';
import { StreamManager } from './shared-signals/streams.js';
import { Transmitter } from './shared-signals/transmitter.js';
import { LogoutQueue } from './backchannel-logout/queue.js';
import { LogoutDeliverer } from './backchannel-logout/deliverer.js';
import { passkeyRelyingParty, type PasskeyAvailability } from './passkeys/relying-party.js';
import { PasskeyCeremonies } from './passkeys/ceremonies.js';
import { passkeyRecorder } from './audit/passkeys.js';
import { passkeyFactorSource } from './passkeys/factor-source.js';
import { FactorSources } from './accounts/factors.js';
import { TotpFactors } from './accounts/totp-factors.js';
import { deriveRecoveryCodeKey, RecoveryCodes } from './accounts/recovery-codes.js';
import { secondFactorCodes } from './accounts/second-factor-codes.js';
import { secondFactorRecorder } from './audit/second-factors.js';
import { Account } from './login/account.js';
import { AccountPasskeys } from './login/account-passkeys.js';
import { DeviceAuthorizations } from './login/device-authorization.js';
import { DeviceVerification } from './login/device-verification.js';
import { deriveUserCodeKey } from './oauth/device-codes.js';
import { localFeedSlots, type FeedSlots } from './revocation/feed-slots.js';
import { deviceAuthorizationRecorder } from './audit/device-authorizations.js';

export interface CoreOptions {
  readonly clock?: Clock;
  /** Fault injection for crash tests: called after a key plan is made, before it is written (keys/fault-injection.ts). */
  readonly beforeKeyApply?: (changes: KeyChanges) => KeyChanges | void;
  /** Where the database layer reports trouble that does not fail a call (a lost LISTEN connection). */
  readonly log?: Logger;
  /** Where security events go (audit/audit-log.ts); default: audit lines on `log`, or none without one. The CLI passes its own. */
  readonly audit?: AuditLog;
  /** The server's metrics (createDeps makes them; tests may pass their own). */
  readonly metrics?: Metrics;
}

export interface DepsOptions extends CoreOptions {
  /** Who counts revocation-feed streams (a worker's primary, cluster/worker.ts); default: this process. */
  readonly feedSlots?: FeedSlots;
}

export interface Core {
  readonly config: Config;
  readonly clock: Clock;
  readonly stores: Stores;
  readonly sealer: KeySealer;
  readonly keyManager: KeyManager;
  /** Revocation records: writes, and the in-memory "is this access token revoked?" (revocation/service.ts). */
  readonly revocations: RevocationService;
  /** The one revocation path: ends tokens, grants, sessions, people and clients (revocation/revoker.ts). */
  readonly revoker: Revoker;
  /** Why sessions and people ended, and account events, for Shared Signals (revocation/security-events.ts). */
  readonly securityEvents: SecurityEventLog;
  /** Back-channel logout tokens owed to clients, queued by the revoker (backchannel-logout/queue.ts). */
  readonly logoutQueue: LogoutQueue;
  /** Derived from the KEK: refresh-token successors are computed with it (refresh/service.ts). */
  readonly refreshSuccessorKey: Buffer;
  /** Security events: every domain change above is recorded here (audit/audit-log.ts). */
  readonly audit: AuditLog;
  /** Authenticator apps (RFC 6238), their secrets sealed with the KEK (accounts/totp-factors.ts). */
  readonly totpFactors: TotpFactors;
  /** Recovery codes, keyed hashes under a key derived from the KEK (accounts/recovery-codes.ts). */
  readonly recoveryCodes: RecoveryCodes;
  /**
   * Every kind of factor beyond the password (accounts/factors.ts): the account page lists them,
   * the sign-in asks which a person holds, `users mfa reset` removes them all.
   */
  readonly factors: FactorSources;
  /** Derived from the KEK: the keyed hash of RFC 8628 user codes (oauth/device-codes.ts). */
  readonly userCodeKey: Buffer;
}

export async function openCore(config: Config, options: CoreOptions = {}): Promise<Core> {
  const clock = options.clock ?? systemClock;
  const audit = options.audit ?? (options.log !== undefined ? pinoAuditLog(options.log) : NO_AUDIT);
  const stores = await createKnexStores(config.database, {
    migrate: true,
    tuning: config.databaseTuning,
    ...(options.log !== undefined ? { log: options.log } : {}),
  });
  try {
    const { keys } = await stores.keys.snapshot();
    // A new KEK only for a database without keys: otherwise a lost KEK must stop start-up.
    const kek = loadKek(config, keys.length === 0);
    const sealer = keySealer(kek);
    const keyManager = new KeyManager({
      keyStore: stores.keys,
      sealer,
      clock,
      policy: lifecyclePolicy(config),
      ...(options.beforeKeyApply ? { beforeApply: options.beforeKeyApply } : {}),
      audit,
    });
    const revocations = new RevocationService({
      store: stores.revocations,
      clock,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
    });
    const securityEvents = securityEventLog({ store: stores.securityEvents, clock });
    const logoutQueue = new LogoutQueue({
      store: stores.logoutDeliveries,
      clock,
      maxPendingPerClient: config.backchannelLogout.maxPendingPerClient,
      audit,
      metrics: options.metrics,
    });
    const revoker = createRevoker({
      stores,
      revocations,
      securityEvents,
      logoutNotices: logoutQueue,
      clock,
      statusListUriPrefix: `${config.issuer}${ENDPOINT_PATHS.statusLists}/`,
    });
    const refreshSuccessorKey = deriveSuccessorKey(kek);
    const totpFactors = new TotpFactors({ store: stores.totpFactors, sealer, clock, issuerName: new URL(config.issuer).hostname });
    const recoveryCodes = new RecoveryCodes({ store: stores.recoveryCodes, clock, key: deriveRecoveryCodeKey(kek) });
    const factors = new FactorSources([totpFactors, recoveryCodes, passkeyFactorSource(stores.passkeys)]);
    const userCodeKey = deriveUserCodeKey(kek);
    return { config, clock, stores, sealer, keyManager, revocations, revoker, securityEvents, logoutQueue, refreshSuccessorKey, audit, totpFactors, recoveryCodes, factors, userCodeKey };
  } catch (error) {
    await stores.close();
    throw error;
  }
}

export interface Deps extends Core {
  readonly log: Logger;
  readonly keyring: Keyring;
  readonly clientAuthenticator: ClientAuthenticator;
  /** The hot paths' client cache; server.ts drops entries when the `clients` channel says so. */
  readonly clientLookup: CachedClientLookup;
  /** DPoP proofs at the token endpoint and userinfo: checks, replay, nonces (oauth/dpop.ts). */
  readonly dpop: Dpop;
  /** The grants of the token endpoint, by grant_type (grants/registry.ts). */
  readonly grants: GrantRegistry;
  /** Refresh-token families: started by the code grant, rotated by the refresh grant (refresh/service.ts). */
  readonly refreshTokens: RefreshTokenService;
  /** Inkan's one check of its own access tokens, revocations included (userinfo, feed, introspection, RFC 7009). */
  readonly verifyAccessToken: IssuedAccessTokenVerifier;
  /** The authorization-code flow between /authorize and the redirect back (login/authorizer.ts). */
  readonly authorizer: Authorizer;
  /** The push feed of revocations for resource servers (revocation/feed.ts). */
  readonly revocationFeed: RevocationFeed;
  /** Token Status Lists: indices for new access tokens, bits for revoked ones (revocation/status-lists.ts). */
  readonly statusLists: StatusLists;
  /** Prometheus metrics, served at /metrics (metrics/metrics.ts). */
  readonly metrics: Metrics;
  /** Shared Signals: delivery of the streams' SETs, push worker and poll (shared-signals/transmitter.ts). */
  readonly transmitter: Transmitter;
  /** Shared Signals: the receivers' stream management (shared-signals/streams.ts). */
  readonly ssfStreams: StreamManager;
  /** Sends the queued back-channel logout tokens; server.ts starts and stops it (backchannel-logout/deliverer.ts). */
  readonly logoutDeliverer: LogoutDeliverer;
  /** Whether the issuer can be a WebAuthn relying party, and why not (passkeys/relying-party.ts); the server logs it at start. */
  readonly passkeyAvailability: PasskeyAvailability;
  /** The WebAuthn ceremonies (passkeys/ceremonies.ts); absent when passkeys are not available. */
  readonly passkeys: PasskeyCeremonies | undefined;
  /** The account page's passkeys (login/account-passkeys.ts); absent with `passkeys`. */
  readonly accountPasskeys: AccountPasskeys | undefined;
  /** The account page's rules: the person's factors, enrolment, recovery codes (login/account.ts). */
  readonly account: Account;
  /** RFC 8628: the device endpoint's rules (login/device-authorization.ts). */
  readonly deviceAuthorizations: DeviceAuthorizations;
  /** RFC 8628: the verification page's rules (login/device-verification.ts). */
  readonly deviceVerification: DeviceVerification;
}

export async function createDeps(config: Config, log: Logger, options: DepsOptions = {}): Promise<Deps> {
  const metrics = options.metrics ?? new Metrics({ clock: options.clock ?? systemClock });
  const core = await openCore(config, { ...options, log, metrics });
  try {
    // Creates the first keys on an empty database, and repairs an alg left without an active key.
    await core.keyManager.runSchedule();
    const keyring = new Keyring(core.stores.keys, core.sealer, core.clock);
    await keyring.load();
    const statusLists = new StatusLists({
      store: core.stores.statusLists,
      revocations: core.revocations,
      keyring,
      clock: core.clock,
      issuer: config.issuer,
      listPath: ENDPOINT_PATHS.statusLists,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      log,
    });
    await statusLists.start();
    const tokenDeps: AccessTokenDeps = {
      keyring,
      clock: core.clock,
      issuer: config.issuer,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      statusList: statusLists,
    };
    const refreshTokens = new RefreshTokenService({
      store: core.stores.refreshTokens,
      users: core.stores.users,
      clock: core.clock,
      absoluteTtlSeconds: config.refreshTokenTtlSeconds,
      idleTtlSeconds: config.refreshTokenIdleTtlSeconds,
      successorKey: core.refreshSuccessorKey,
      revoker: core.revoker,
      // Reuse detection is an audit event (refresh.reuse_detected) and a metric.
      audit: core.audit,
      metrics,
    });
    const revocationFeed = new RevocationFeed({
      revocations: core.revocations,
      keyring,
      issuer: config.issuer,
      log,
      metrics,
      slots: options.feedSlots ?? localFeedSlots(config.feedMaxStreamsPerClient),
    });
    metrics.watchFeed(() => revocationFeed.subscribers);
    metrics.watchKeys({ keys: () => core.keyManager.list(), rotationIntervalSeconds: config.keyRotationIntervalSeconds });
    const passkeyAvailability = passkeyRelyingParty(config.issuer, config.brand.name);
    const passkeys = passkeyAvailability.available
      ? new PasskeyCeremonies({
          passkeys: core.stores.passkeys,
          challenges: core.stores.webAuthnChallenges,
          users: core.stores.users,
          clock: core.clock,
          relyingParty: passkeyAvailability.relyingParty,
          observer: passkeyRecorder({ audit: core.audit, metrics }),
        })
      : undefined;
    const secondFactorObserver = reportingCredentialChanges(secondFactorRecorder({ audit: core.audit, metrics }), core.securityEvents, (error) =>
      log.error({ err: error, event: 'security_events.append_failed' }, 'a credential change could not be recorded for Shared Signals'),
    );
    const throttle = new LoginThrottle(core.stores.loginThrottle, core.clock);
    const account = new Account({
      sessions: core.stores.sessions,
      users: core.stores.users,
      clock: core.clock,
      factors: core.factors,
      totp: core.totpFactors,
      recovery: core.recoveryCodes,
      observer: secondFactorObserver,
    });
    const idTokenDeps: IdTokenDeps = { keyring, clock: core.clock, issuer: config.issuer, idTokenTtlSeconds: config.idTokenTtlSeconds };
    const logoutDeliverer = new LogoutDeliverer({
      store: core.stores.logoutDeliveries,
      clients: core.stores.clients,
      tokens: { keyring, clock: core.clock, issuer: config.issuer },
      config: config.backchannelLogout,
      audit: core.audit,
      metrics,
      log,
    });
    core.logoutQueue.onQueued(() => logoutDeliverer.wake());
    metrics.watchLogoutQueue(() => core.stores.logoutDeliveries.depth());
    const verifyAccessToken = issuedAccessTokenVerifier({ keyring, issuer: config.issuer, clock: core.clock, revocations: core.revocations });
    const grants = grantRegistry({
      tokens: tokenDeps,
      verifyAccessToken,
      idTokens: idTokenDeps,
      clock: core.clock,
      revocations: core.revocations,
      stores: core.stores,
      revoker: core.revoker,
      refreshTokens,
      observer: issuanceRecorder({ audit: core.audit, metrics }),
    });
    const deviceObserver = deviceAuthorizationRecorder({ audit: core.audit, metrics });
    const authorizer = new Authorizer({
      stores: core.stores,
      clock: core.clock,
      issuer: config.issuer,
      throttle,
      pendingPerAddress: config.pendingSignInsPerAddress,
      revoker: core.revoker,
      paths: {
        login: browserPath(config.issuer, ENDPOINT_PATHS.login),
        consent: browserPath(config.issuer, ENDPOINT_PATHS.consent),
        deviceDone: browserPath(config.issuer, ENDPOINT_PATHS.deviceDone),
      },
      signIns: signInRecorder({ audit: core.audit, metrics }),
      devices: deviceObserver,
      ...(passkeys === undefined ? {} : { passkeys }),
      secondFactors: {
        factors: core.factors,
        codes: secondFactorCodes({ totp: core.totpFactors, recovery: core.recoveryCodes, throttle, observer: secondFactorObserver }),
      },
    });
    const transmitter = new Transmitter({ stores: core.stores, keyring, sealer: core.sealer, clock: core.clock, issuer: config.issuer, log, metrics });
    const ssfStreams = new StreamManager({
      stores: core.stores,
      sealer: core.sealer,
      clock: core.clock,
      issuer: config.issuer,
      pollUrlPrefix: `${config.issuer}${ENDPOINT_PATHS.ssfPoll}`,
      audit: core.audit,
      wake: () => transmitter.wake(),
    });
    const clientLookup = cachedClientLookup(core.stores.clients);
    return {
      ...core,
      log,
      keyring,
      clientLookup,
      transmitter,
      ssfStreams,
      clientAuthenticator: clientAuthenticator(
        clientLookup,
        clientAssertionVerifier({
          issuer: config.issuer,
          tokenEndpoint: `${config.issuer}${ENDPOINT_PATHS.token}`,
          clock: core.clock,
          keys: clientKeySource({ clock: core.clock }),
          usedJtis: core.stores.usedJtis,
        }),
        federatedAssertionVerifier({
          issuer: config.issuer,
          clock: core.clock,
          clockSkewSeconds: config.clockSkewSeconds,
          keys: issuerKeySource({ clock: core.clock }),
          usedJtis: core.stores.usedJtis,
          audit: core.audit,
        }),
      ),
      dpop: dpop({ clock: core.clock, usedJtis: core.stores.usedJtis, sharedSecret: core.refreshSuccessorKey }),
      grants,
      refreshTokens,
      verifyAccessToken,
      authorizer,
      deviceAuthorizations: new DeviceAuthorizations({
        stores: core.stores,
        clock: core.clock,
        issuer: config.issuer,
        userCodeKey: core.userCodeKey,
        verificationUri: `${config.issuer}${ENDPOINT_PATHS.deviceVerification}`,
        observer: deviceObserver,
      }),
      deviceVerification: new DeviceVerification({ stores: core.stores, clock: core.clock, userCodeKey: core.userCodeKey, throttle, authorizer, observer: deviceObserver }),
      account,
      accountPasskeys: passkeys === undefined ? undefined : new AccountPasskeys({ account, passkeys }),
      revocationFeed,
      statusLists,
      metrics,
      logoutDeliverer,
      passkeyAvailability,
      passkeys,
    };
  } catch (error) {
    await core.stores.close();
    throw error;
  }
}
