/**
 * Background purge, so that no table grows without bound: refresh tokens past their idle expiry,
 * tokens and families of revoked or expired families, revocation records whose tokens have all
 * expired, and the people tables: pending authorization requests once expired, authorization
 * codes AUTHORIZATION_CODE_RETENTION_SECONDS after they expired, passkey challenges once expired, RFC 8628 device authorizations
 * DEVICE_AUTHORIZATION_RETENTION_SECONDS after they expired, login-throttle counters once
 * their rule has forgotten them anyway, and sessions SESSION_RETENTION_SECONDS after they ended
 * or expired, and the Shared Signals security-event log SECURITY_EVENT_RETENTION_SECONDS after each
 * event (a stream paused longer than that misses what it did not take). Remembered consents are kept. Each store deletes in bounded batches (one short
 * statement each, so a purge never holds a long lock), a run stops after MAX_BATCHES_PER_RUN per
 * table, and runs never overlap.
 *
 * An expired code is kept a while because its row is what recognises a replay (which revokes what
 * the code issued); after an hour a replay is answered as an unknown code. A throttle counter goes
 * only when it is not blocking and its last failure is older than the longest forget window of
 * the throttle rules, when `admit` would start it from zero anyway: purging changes no decision.
 *
 * Consumed refresh tokens are deliberately NOT purged as soon as the grace window passes: they are
 * what recognises a replay (theft) of an old token. They go at their own idle expiry, after which a
 * replay could not have been used anyway; it is then answered as an unknown token.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Stores } from '../storage/stores.js';
import { ACCOUNT_RULE, ADDRESS_RULE, USER_CODE_RULE } from '../accounts/throttle.js';

export const PURGE_BATCH_SIZE = 500;
export const MAX_BATCHES_PER_RUN = 20;
export const PURGE_INTERVAL_MS = 60_000;
/** How long an expired authorization code still recognises its replay. */
export const AUTHORIZATION_CODE_RETENTION_SECONDS = 3600;
/** How long an ended or expired login session is kept (for an operator looking into an incident). */
export const SESSION_RETENTION_SECONDS = 7 * 24 * 3600;
/** How long a security event stays in the log for Shared Signals streams to take (a paused stream, a down receiver). */
export const SECURITY_EVENT_RETENTION_SECONDS = 7 * 24 * 3600;
const THROTTLE_FORGET_SECONDS = Math.max(ACCOUNT_RULE.forgetAfterSeconds, ADDRESS_RULE.forgetAfterSeconds, USER_CODE_RULE.forgetAfterSeconds);
/** How long an expired device authorization still answers its device `expired_token` (then `invalid_grant`). */
export const DEVICE_AUTHORIZATION_RETENTION_SECONDS = 3600;

export interface PurgeDeps {
  readonly stores: Pick<
    Stores,
    'refreshTokens' | 'revocations' | 'authorizationRequests' | 'authorizationCodes' | 'sessions' | 'loginThrottle' | 'usedJtis' | 'securityEvents' | 'webAuthnChallenges' | 'deviceAuthorizations'
  >;
  readonly clock: Clock;
}

export interface PurgeCounts {
  readonly refreshTokens: number;
  readonly revocations: number;
  readonly authorizationRequests: number;
  readonly authorizationCodes: number;
  readonly loginThrottle: number;
  readonly sessions: number;
  /** Single-use jtis of client assertions and DPoP proofs, once they would be refused for age anyway. */
  readonly usedJtis: number;
  /** Security events older than SECURITY_EVENT_RETENTION_SECONDS. */
  readonly securityEvents: number;
  /** Challenges of passkey ceremonies never answered, once expired. */
  readonly webAuthnChallenges: number;
  /** RFC 8628 device authorizations DEVICE_AUTHORIZATION_RETENTION_SECONDS after they expired, used or not. */
  readonly deviceAuthorizations: number;
}

async function inBatches(purge: (limit: number) => Promise<number>, batchSize: number): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
    const removed = await purge(batchSize);
    total += removed;
    if (removed < batchSize) break;
  }
  return total;
}

export async function purgeOnce(deps: PurgeDeps, batchSize = PURGE_BATCH_SIZE): Promise<PurgeCounts> {
  const now = deps.clock.nowSeconds();
  const { stores } = deps;
  return {
    refreshTokens: await inBatches((limit) => stores.refreshTokens.purge(now, limit), batchSize),
    revocations: await inBatches((limit) => stores.revocations.purgeExpired(now, limit), batchSize),
    authorizationRequests: await inBatches((limit) => stores.authorizationRequests.purgeExpired(now, limit), batchSize),
    authorizationCodes: await inBatches((limit) => stores.authorizationCodes.purgeExpired(now - AUTHORIZATION_CODE_RETENTION_SECONDS, limit), batchSize),
    loginThrottle: await inBatches((limit) => stores.loginThrottle.purgeStale(now - THROTTLE_FORGET_SECONDS, now, limit), batchSize),
    sessions: await inBatches((limit) => stores.sessions.purgeOver(now - SESSION_RETENTION_SECONDS, limit), batchSize),
    usedJtis: await inBatches((limit) => stores.usedJtis.purge(now, limit), batchSize),
    securityEvents: await inBatches((limit) => stores.securityEvents.purgeBefore(now - SECURITY_EVENT_RETENTION_SECONDS, limit), batchSize),
    webAuthnChallenges: await inBatches((limit) => stores.webAuthnChallenges.purge(now, limit), batchSize),
    deviceAuthorizations: await inBatches((limit) => stores.deviceAuthorizations.purgeExpired(now - DEVICE_AUTHORIZATION_RETENTION_SECONDS, limit), batchSize),
  };
}

export interface Housekeeping {
  /** Stops the timer and waits for a run in progress, so the database can be closed after. */
  stop(): Promise<void>;
}

export function startHousekeeping(deps: PurgeDeps & { log: Logger }, intervalMs = PURGE_INTERVAL_MS): Housekeeping {
  let running: Promise<void> | undefined;
  const run = () => {
    if (running !== undefined) return;
    running = purgeOnce(deps)
      .then((counts) => {
        if (Object.values(counts).some((count) => count > 0)) deps.log.info({ event: 'housekeeping.purged', ...counts }, 'purged expired rows');
      })
      .catch((error: unknown) => deps.log.error({ err: error, event: 'housekeeping.failed' }, 'purge failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
