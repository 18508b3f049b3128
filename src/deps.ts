/**
 * The one wiring place. `openCore` opens what both the server and the CLI need (database with
 * migrations applied, key-encryption key, key manager); `createDeps` adds what a server needs on
 * top (a loaded keyring, the grants). Tests call these with their own config, clock and logger.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { type Clock, systemClock } from './clock.js';
import { clientAuthenticator, type ClientAuthenticator } from './oauth/client-authentication.js';
import { cachedClientLookup } from './clients/client-cache.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import type { Grant } from './grants/grant.js';
import { keySealer, loadKek, type KeySealer } from './keys/encryption.js';
import { KeyManager, lifecyclePolicy } from './keys/key-manager.js';
import { Keyring } from './keys/keyring.js';
import type { AccessTokenDeps } from './tokens/access-token.js';
import type { IdTokenDeps } from './tokens/id-token.js';
import type { KeyChanges, Stores } from './storage/stores.js';
import { createKnexStores } from './storage/knex/index.js';
import type { PeopleRevocationHooks } from './login/revocation-hooks.js';
import { RevocationService } from './revocation/service.js';
import { RevocationFeed } from './revocation/feed.js';
import { StatusLists } from './revocation/status-lists.js';
import { createLogout, type Logout } from './revocation/logout.js';
import { deriveSuccessorKey, RefreshTokenService } from './refresh/service.js';
import { refreshTokenGrant } from './grants/refresh-token.js';
import { authorizationCodeGrant } from './grants/authorization-code.js';
import { Authorizer } from './login/authorizer.js';
import { LoginThrottle } from './accounts/throttle.js';
import { ENDPOINT_PATHS } from './oauth/discovery.js';
import { AccessTokenRejected, ownAccessTokenVerifier, type AccessTokenClaims } from './tokens/own-access-token.js';
import { issuedAccessTokenVerifier, type IssuedAccessTokenVerifier } from './tokens/issued-access-token.js';
import type { Readiness } from './http/endpoints/health.js';

export interface CoreOptions {
  readonly clock?: Clock;
  /** Fault injection for crash tests: called after a key plan is made, before it is written (keys/fault-injection.ts). */
  readonly beforeKeyApply?: (changes: KeyChanges) => KeyChanges | void;
  /** Where the database layer reports trouble that does not fail a call (a lost LISTEN connection). */
  readonly log?: Logger;
}

export interface Core {
  readonly config: Config;
  readonly clock: Clock;
  readonly stores: Stores;
  readonly sealer: KeySealer;
  readonly keyManager: KeyManager;
  /** Where logout, `users disable` and code replay reach the refresh-token domain (issue 5 fills it). */
  readonly peopleHooks: PeopleRevocationHooks;
  /** Revocation records: writes, and the in-memory "is this access token revoked?" (revocation/service.ts). */
  readonly revocations: RevocationService;
  /** Ends sessions, refresh families and their access tokens (revocation/logout.ts). */
  readonly logout: Logout;
  /** Derived from the KEK: refresh-token successors are computed with it (refresh/service.ts). */
  readonly refreshSuccessorKey: Buffer;
}

export async function openCore(config: Config, options: CoreOptions = {}): Promise<Core> {
  const clock = options.clock ?? systemClock;
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
    });
    const revocations = new RevocationService({ store: stores.revocations, clock, accessTokenTtlSeconds: config.accessTokenTtlSeconds });
    const logout = createLogout({ stores, revocations, clock });
    const peopleHooks: PeopleRevocationHooks = {
      endRefreshFamiliesOfSession: async (sessionId) => void (await logout.endSession(sessionId)),
      endRefreshFamiliesOfUser: async (userId) => void (await logout.revokeEverythingOfUser(userId)),
      endRefreshFamiliesOfReplayedCode: async ({ clientId, sessionId }) =>
        void (await stores.refreshTokens.revokeFamilies({ clientId, sessionId }, clock.nowSeconds())),
    };
    const refreshSuccessorKey = deriveSuccessorKey(kek);
    return { config, clock, stores, sealer, keyManager, peopleHooks, revocations, logout, refreshSuccessorKey };
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
  /** Refresh-token families: started by the code grant, rotated by the refresh grant (refresh/service.ts). */
  readonly refreshTokens: RefreshTokenService;
  /** Recognises Inkan's own access tokens for any audience (introspection, revocation). */
  readonly verifyAccessToken: IssuedAccessTokenVerifier;
  /** The authorization-code flow between /authorize and the redirect back (login/authorizer.ts). */
  readonly authorizer: Authorizer;
  /** Userinfo's check of Inkan's own access tokens (audience: the issuer). */
  readonly verifyUserinfoToken: (token: string) => Promise<AccessTokenClaims>;
  /** The push feed of revocations for resource servers (revocation/feed.ts). */
  readonly revocationFeed: RevocationFeed;
  /** Token Status Lists: indices for new access tokens, bits for revoked ones (revocation/status-lists.ts). */
  readonly statusLists: StatusLists;
}

export async function createDeps(config: Config, log: Logger, options: CoreOptions = {}): Promise<Deps> {
  const core = await openCore(config, { ...options, log });
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
      onReuseDetected: (family) =>
        log.warn(
          { event: 'refresh.reuse_detected', familyId: family.id, clientId: family.clientId, sub: family.userId },
          'a used refresh token was presented again: its family is revoked',
        ),
    });
    const idTokenDeps: IdTokenDeps = { keyring, clock: core.clock, issuer: config.issuer, idTokenTtlSeconds: config.idTokenTtlSeconds };
    const grants = new Map<string, Grant>(
      [
        clientCredentialsGrant(tokenDeps),
        authorizationCodeGrant({
          tokens: tokenDeps,
          idTokens: idTokenDeps,
          clock: core.clock,
          stores: core.stores,
          hooks: core.peopleHooks,
          refreshTokens,
        }),
        refreshTokenGrant({ tokens: tokenDeps, idTokens: idTokenDeps, refreshTokens }),
      ].map((grant) => [grant.grantType, grant]),
    );
    return {
      ...core,
      log,
      keyring,
      readiness: { accepting: true },
      clientAuthenticator: clientAuthenticator(cachedClientLookup(core.stores.clients)),
      grants,
      refreshTokens,
      verifyAccessToken: issuedAccessTokenVerifier({ keyring, issuer: config.issuer, clock: core.clock }),
      authorizer: new Authorizer({
        stores: core.stores,
        clock: core.clock,
        issuer: config.issuer,
        throttle: new LoginThrottle(core.stores.loginThrottle, core.clock),
        hooks: core.peopleHooks,
        paths: { login: ENDPOINT_PATHS.login, consent: ENDPOINT_PATHS.consent },
      }),
      verifyUserinfoToken: honouringRevocations(
        ownAccessTokenVerifier({
          keyring,
          issuer: config.issuer,
          clock: core.clock,
          revokedAccessTokens: core.stores.revokedAccessTokens,
        }),
        core.revocations,
      ),
      revocationFeed: new RevocationFeed({ revocations: core.revocations, keyring, issuer: config.issuer, log }),
      statusLists,
    };
  } catch (error) {
    await core.stores.close();
    throw error;
  }
}

/**
 * Userinfo (and the feed's subscriber check) must also refuse access tokens covered by a
 * revocation record — logout of the session (`sid`), log out everywhere (`sub`), a deleted client,
 * RFC 7009 on the token — not only the people domain's revoked-jti list. `fresh` sees revocations
 * committed by any process (the CLI) before the call; concurrent checks share one query.
 */
function honouringRevocations(
  verify: (token: string) => Promise<AccessTokenClaims>,
  revocations: RevocationService,
): (token: string) => Promise<AccessTokenClaims> {
  return async (token) => {
    const claims = await verify(token);
    const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
    if (await revocations.isRevoked({ jti: claims.jti, sub: claims.sub, client_id: claims.client_id, iat: claims.iat ?? 0, sid }, { fresh: true })) {
      throw new AccessTokenRejected('the access token was revoked');
    }
    return claims;
  };
}
