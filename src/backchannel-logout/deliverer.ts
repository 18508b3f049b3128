/**
 * Delivers the queued logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.5), one process of
 * many: a server runs one deliverer, started and stopped by server.ts.
 *
 * - Finding work: woken at once when this process queues rows (queue.ts), when another process
 *   did (the change feed's `logouts`, PostgreSQL; server.ts subscribes), after each delivery, and
 *   by a poll every LOGOUT_POLL_INTERVAL_MS (250 ms) — the safety net, how the CLI's rows are found
 *   within a second on SQLite, and how retries come due. An idle poll is one indexed read.
 * - Claiming: rows are claimed with a lease (storage/backchannel-logout.ts): two processes on one
 *   database never send the same row at once; a process that dies mid-delivery (SIGKILL) leaves
 *   its rows to be claimed again once the lease (timeout × 2 + 10 s) runs out — so a receiver may,
 *   rarely, get a logout twice, which a logout tolerates.
 * - Sending: at most BACKCHANNEL_LOGOUT_CONCURRENCY POSTs in flight per process, each with the
 *   timeout, no redirect followed and a bounded answer (sender.ts); a new token per attempt
 *   (logout-token.ts) for the client as it is registered now.
 * - After: 2xx deletes the row (`delivered`); a failure reschedules it on the back-off schedule
 *   (`retried`, retry-schedule.ts) or, past the last retry or the maximum age, deletes it
 *   (`abandoned`). Each outcome is an audit line (client_id, sid, sub; never the token) and a
 *   metric. A client deleted meanwhile, or whose logout URI is gone, is abandoned without a POST.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import { SYSTEM_ACTOR } from '../audit/audit-log.js';
import type { BackchannelLogoutConfig } from '../config.js';
import type { Metrics } from '../metrics/metrics.js';
import type { LogoutDelivery, LogoutDeliveryStore } from '../storage/backchannel-logout.js';
import type { ClientStore } from '../storage/clients.js';
import { issueLogoutToken, type LogoutTokenDeps } from './logout-token.js';
import { afterFailure, tooOld } from './retry-schedule.js';
import { type LogoutSender, postLogoutToken } from './sender.js';

export const LOGOUT_POLL_INTERVAL_MS = 250;

export interface LogoutDelivererDeps {
  readonly store: Pick<LogoutDeliveryStore, 'claim' | 'finish' | 'retryAt'>;
  readonly clients: Pick<ClientStore, 'find'>;
  readonly tokens: LogoutTokenDeps;
  readonly config: BackchannelLogoutConfig;
  readonly audit: AuditLog;
  readonly metrics?: Pick<Metrics, 'logoutDelivery'> | undefined;
  readonly log: Pick<Logger, 'warn'>;
  /** The POST (tests may pass their own). */
  readonly send?: LogoutSender;
  readonly pollIntervalMs?: number;
}

export class LogoutDeliverer {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly send: LogoutSender;
  private pumping: Promise<void> | undefined;
  private wakeAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** While claims fail (the database is away), one warning, not one per poll. */
  private claimsFailing = false;

  constructor(private readonly deps: LogoutDelivererDeps) {
    this.send = deps.send ?? postLogoutToken;
  }

  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setInterval(() => this.wake(), this.deps.pollIntervalMs ?? LOGOUT_POLL_INTERVAL_MS);
    this.timer.unref();
    this.wake();
  }

  /** Looks for due deliveries now (or right after the look in progress); nothing before `start`. */
  wake(): void {
    if (this.timer === undefined || this.stopped) return;
    if (this.pumping !== undefined) {
      this.wakeAgain = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  /** Stops claiming and waits for the POSTs in flight (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.pumping;
    await Promise.all([...this.inFlight]);
  }

  private get leaseSeconds(): number {
    return this.deps.config.timeoutSeconds * 2 + 10;
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.wakeAgain = false;
        for (;;) {
          const room = this.deps.config.concurrency - this.inFlight.size;
          if (this.stopped || room <= 0) break;
          const now = this.deps.tokens.clock.nowSeconds();
          const leaseToken = crypto.randomUUID();
          const claimed = await this.deps.store.claim(leaseToken, now, now + this.leaseSeconds, room);
          for (const delivery of claimed) this.track(this.attempt(delivery, leaseToken));
          if (this.claimsFailing) {
            this.claimsFailing = false;
            this.deps.log.warn({ event: 'backchannel_logout.claiming_again' }, 'claiming back-channel logout deliveries works again');
          }
          if (claimed.length < room) break;
        }
      } while (this.wakeAgain && !this.stopped);
    } catch (error) {
      // The database is away: the next poll tries again.
      if (!this.claimsFailing) this.deps.log.warn({ err: error, event: 'backchannel_logout.claim_failed' }, 'claiming back-channel logout deliveries failed; retrying every poll');
      this.claimsFailing = true;
    }
  }

  private track(attempt: Promise<void>): void {
    this.inFlight.add(attempt);
    void attempt.finally(() => {
      this.inFlight.delete(attempt);
      this.wake();
    });
  }

  private async attempt(delivery: LogoutDelivery, leaseToken: string): Promise<void> {
    const fields = { client_id: delivery.clientId, sid: delivery.sessionId, sub: delivery.sub, attempts: delivery.attempts };
    try {
      const client = await this.deps.clients.find(delivery.clientId);
      const uri = client?.backchannelLogoutUri ?? null;
      if (client === undefined || uri === null) return await this.abandon(delivery, leaseToken, fields, 'the client or its back-channel logout URI is gone');
      if (tooOld(delivery, this.deps.tokens.clock.nowSeconds(), this.deps.config)) {
        return await this.abandon(delivery, leaseToken, fields, `older than BACKCHANNEL_LOGOUT_MAX_AGE (${this.deps.config.maxAgeSeconds} s)`);
      }
      const token = issueLogoutToken(this.deps.tokens, { client, sub: delivery.sub, sid: delivery.sessionId });
      const outcome = await this.send(uri, token, this.deps.config.timeoutSeconds * 1000);
      if (outcome.ok) {
        await this.deps.store.finish(delivery.id, leaseToken);
        this.deps.metrics?.logoutDelivery('delivered');
        this.deps.audit.record({ event: 'backchannel_logout.delivered', ...fields, status: outcome.status }, SYSTEM_ACTOR);
        return;
      }
      const now = this.deps.tokens.clock.nowSeconds();
      const decision = afterFailure(delivery, now, this.deps.config);
      if (decision.kind === 'give_up') return await this.abandon(delivery, leaseToken, fields, outcome.error);
      await this.deps.store.retryAt(delivery.id, leaseToken, now + decision.inSeconds, outcome.error);
      this.deps.metrics?.logoutDelivery('retried');
      this.deps.audit.record({ event: 'backchannel_logout.failed', ...fields, error: outcome.error, retry_in_seconds: decision.inSeconds }, SYSTEM_ACTOR);
    } catch (error) {
      // A store or signing failure: the lease runs out and the row is claimed again.
      this.deps.log.warn({ err: error, event: 'backchannel_logout.attempt_failed', client_id: delivery.clientId }, 'a back-channel logout attempt failed inside Inkan');
    }
  }

  private async abandon(delivery: LogoutDelivery, leaseToken: string, fields: { client_id: string; sid: string; sub: string; attempts: number }, error: string): Promise<void> {
    await this.deps.store.finish(delivery.id, leaseToken);
    this.deps.metrics?.logoutDelivery('abandoned');
    this.deps.audit.record({ event: 'backchannel_logout.abandoned', ...fields, error }, SYSTEM_ACTOR);
  }
}
