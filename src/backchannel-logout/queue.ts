/**
 * The revoker's back-channel logout step (revocation/revoker.ts `LogoutNotices`): when sessions
 * or a grant end, one row per owed logout token goes into the database queue, in the logout's own
 * write path — the CLI and every server process write the same rows, so a delivery survives the
 * process that queued it. Nothing is sent here: the deliverer (deliverer.ts) of this process is
 * woken at once, and every server's poll finds rows other processes (the CLI) queued.
 *
 * The rows are written as the revoker's last step, after the session ended and its revocation
 * record was written: like the revoker's other steps, a write of its own, not one transaction with
 * the session's end. A crash in the milliseconds between the two would lose these deliveries; the
 * other order would tell relying parties of a logout that had not happened yet at Inkan (and, for a
 * session that had already ended, tell them twice).
 *
 * Bounded per client: a client that already has `maxPendingPerClient` deliveries waiting (its
 * endpoint has been down for long) gets no more; each refused one is an audit line
 * (`backchannel_logout.dropped`) and a metric. The waiting ones still carry the client's most
 * urgent news, and the sessions concerned have ended at Inkan whatever the client hears.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { SYSTEM_ACTOR } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics/metrics.js';
import type { LogoutNotices } from '../revocation/revoker.js';
import type { EnqueuedLogouts, LogoutDeliveryStore } from '../storage/backchannel-logout.js';

export interface LogoutQueueDeps {
  readonly store: Pick<LogoutDeliveryStore, 'enqueueForSessions' | 'enqueueForGrant'>;
  readonly clock: Clock;
  readonly maxPendingPerClient: number;
  readonly audit: AuditLog;
  readonly metrics?: Pick<Metrics, 'logoutDelivery'> | undefined;
}

export class LogoutQueue implements LogoutNotices {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly deps: LogoutQueueDeps) {}

  async sessionsEnded(sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    this.queued(await this.deps.store.enqueueForSessions(sessionIds, this.deps.clock.nowSeconds(), this.deps.maxPendingPerClient));
  }

  async grantEnded(grantId: string): Promise<void> {
    this.queued(await this.deps.store.enqueueForGrant(grantId, this.deps.clock.nowSeconds(), this.deps.maxPendingPerClient));
  }

  /** Called after rows were queued by this process (the deliverer wakes); returns the unsubscribe function. */
  onQueued(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private queued(result: EnqueuedLogouts): void {
    for (const dropped of result.dropped) {
      this.deps.metrics?.logoutDelivery('dropped');
      this.deps.audit.record(
        { event: 'backchannel_logout.dropped', client_id: dropped.clientId, sid: dropped.sessionId, max_pending_per_client: this.deps.maxPendingPerClient },
        SYSTEM_ACTOR,
      );
    }
    if (result.queued === 0) return;
    for (const listener of [...this.listeners]) listener();
  }
}
