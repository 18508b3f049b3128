/**
 * The revocation push feed, without HTTP: turns the revocation service's records into a
 * Server-Sent Events stream of Security Event Tokens for one subscriber.
 *
 * Per connection: subscribe to the service's events first (so nothing slips between snapshot and
 * live), bring the service's cache up to date, then send either the records after the client's
 * Last-Event-ID or, when that cursor cannot be resumed from (absent, 0, ahead of this database,
 * or older than the oldest record still kept), an `event: reset` and the full snapshot of live
 * records. `event: ready` marks the end of the backlog; after it, records are pushed as the
 * service learns of them: at once for this process's own writes, within its one-second sync
 * (one indexed query per process, not per subscriber) for other processes'. A comment line every
 * 15 s keeps proxies and the client's idle timer content. The stream ends when the subscriber's
 * access token expires (the client reconnects with a fresh one), when a record covers that token
 * (its jti revoked, its client deleted: the record is sent, then the stream closes, so revoked
 * credentials never keep a stream), or when the server stops (its last lines are then a `retry:`
 * hint and a comment). Each client may hold at most FEED_MAX_STREAMS_PER_CLIENT streams at once
 * on the server, all its workers together (`reserve`, feed-slots.ts): one token cannot open streams
 * without bound.
 *
 * Each record is signed once (with the active key of ISSUER_TOKEN_ALG, EdDSA: keys/keyring.ts)
 * and the SET reused for every subscriber; a cached SET whose key is no longer the active one is
 * signed again, so an emergency key revocation never leaves subscribers with events they cannot
 * verify.
 */
import type { Logger } from 'pino';
import { ISSUER_TOKEN_ALG, type Keyring } from '../keys/keyring.js';
import type { Metrics } from '../metrics/metrics.js';
import { securityEventClaims } from '@inkan/verifier/protocol';
import type { RevocationRecord } from '../storage/revocations.js';
import type { FeedSlots, ReleaseSlot } from './feed-slots.js';
import { isCoveredBy, type RevocableClaims } from './revocations.js';
import type { RevocationService } from './service.js';

export const HEARTBEAT_INTERVAL_MS = 15_000;

/** Where a stream writes; `write` resolves when the chunk may be followed by more (backpressure). */
export interface FeedSink {
  write(chunk: string): Promise<void>;
}

export interface RevocationFeedDeps {
  readonly revocations: Pick<RevocationService, 'onRevoked' | 'sync' | 'snapshot' | 'latestId'>;
  readonly keyring: Pick<Keyring, 'signer'>;
  readonly issuer: string;
  readonly log: Logger;
  readonly heartbeatIntervalMs?: number;
  /** Milliseconds since the epoch, for the stream's end at the token's expiry. */
  readonly nowMs?: () => number;
  /** Told of each record delivered live (after `ready`), for the feed's lag metrics. */
  readonly metrics?: Pick<Metrics, 'feedDelivered'>;
  /** Who counts a client's open streams against FEED_MAX_STREAMS_PER_CLIENT (feed-slots.ts). */
  readonly slots: FeedSlots;
}


/** What a stream ended by a server shutdown sends last: reconnect (to another instance) after this long. */
export const SHUTDOWN_RETRY_MS = 1000;

interface SignedEvent {
  readonly kid: string;
  readonly jwt: string;
  readonly expiresAt: number;
}

/** Parses Last-Event-ID: a positive integer, or undefined. */
export function parseCursor(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]{1,15}$/.test(value.trim())) return undefined;
  const cursor = Number(value.trim());
  return cursor > 0 ? cursor : undefined;
}

export class RevocationFeed {
  private readonly signed = new Map<number, SignedEvent>();
  private readonly streams = new Set<() => void>();
  private closed = false;
  private readonly heartbeatIntervalMs: number;
  private readonly nowMs: () => number;

  constructor(private readonly deps: RevocationFeedDeps) {
    this.heartbeatIntervalMs = deps.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
    this.nowMs = deps.nowMs ?? Date.now;
  }

  get subscribers(): number {
    return this.streams.size;
  }

  /** Ends every open stream (server shutdown); clients reconnect to another instance. */
  close(): void {
    this.closed = true;
    for (const end of [...this.streams]) end();
  }

  /**
   * Takes one of the client's stream slots: the release function, to call once its stream is over,
   * or undefined when the client holds every slot already.
   */
  reserve(clientId: string): Promise<ReleaseSlot | undefined> {
    return this.deps.slots.reserve(clientId);
  }

  /**
   * Streams to `sink` until `signal` aborts, `untilMs` passes (the subscriber's token expires), a
   * record covers the subscriber's token, or the feed closes.
   */
  async stream(
    lastEventId: string | undefined,
    sink: FeedSink,
    options: { readonly signal: AbortSignal; readonly untilMs: number; readonly subscriber: RevocableClaims },
  ): Promise<void> {
    if (this.closed) return;
    const { subscriber, untilMs } = options;
    /** Set once a record covers the subscriber's own token: that record is its last. */
    let revoked = false;
    const queue: RevocationRecord[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const end = () => {
      ended = true;
      wake?.();
    };
    this.streams.add(end);
    options.signal.addEventListener('abort', end, { once: true });
    const unsubscribe = this.deps.revocations.onRevoked((record) => {
      queue.push(record);
      wake?.();
    });
    try {
      await this.deps.revocations.sync();
      this.forgetExpired(Math.floor(this.nowMs() / 1000));
      const live = this.deps.revocations.snapshot();
      const cursor = parseCursor(lastEventId);
      const oldest = live[0]?.id;
      const resumable = cursor !== undefined && cursor <= this.deps.revocations.latestId && (oldest === undefined || cursor >= oldest - 1);
      let sent = resumable ? cursor : 0;
      await sink.write('retry: 1000\n\n');
      if (!resumable) await sink.write('event: reset\ndata: {}\n\n');
      for (const record of live) {
        if (ended) return;
        if (record.id <= sent) continue;
        await sink.write(this.event(record));
        sent = record.id;
        if (isCoveredBy(record.target, subscriber)) return;
      }
      await sink.write(`event: ready\ndata: ${JSON.stringify({ last_event_id: sent })}\n\n`);
      while (!ended) {
        while (queue.length > 0 && !ended && !revoked) {
          const record = queue.shift()!;
          if (record.id <= sent) continue;
          await sink.write(this.event(record));
          sent = record.id;
          this.deps.metrics?.feedDelivered(record.createdAt, this.nowMs());
          revoked = isCoveredBy(record.target, subscriber);
        }
        if (ended || revoked) break;
        const remainingMs = untilMs - this.nowMs();
        if (remainingMs <= 0) break;
        const timedOut = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), Math.min(this.heartbeatIntervalMs, remainingMs));
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
          if (ended || queue.length > 0) wake();
        });
        wake = undefined;
        if (timedOut && !ended) await sink.write(': heartbeat\n\n');
      }
      // A server going down says when to come back; the client's EventSource reconnects, most
      // likely to another instance behind the load balancer.
      if (this.closed && !options.signal.aborted) await sink.write(`retry: ${SHUTDOWN_RETRY_MS}\n: server shutting down, reconnect\n\n`);
    } finally {
      unsubscribe();
      this.streams.delete(end);
      options.signal.removeEventListener('abort', end);
    }
  }

  /** One SSE event: `id` is the record id, `data` the SET. */
  event(record: RevocationRecord): string {
    return `id: ${record.id}\nevent: revocation\ndata: ${this.securityEventToken(record)}\n\n`;
  }

  securityEventToken(record: RevocationRecord): string {
    const signer = this.deps.keyring.signer(ISSUER_TOKEN_ALG);
    const cached = this.signed.get(record.id);
    if (cached !== undefined && cached.kid === signer.kid) return cached.jwt;
    const jwt = signer.sign('secevent+jwt', securityEventClaims(record, this.deps.issuer));
    this.signed.set(record.id, { kid: signer.kid, jwt, expiresAt: record.expiresAt });
    return jwt;
  }

  /** Forgets the SETs of records that expired (the server calls this now and then). */
  forgetExpired(nowSeconds: number): void {
    for (const [id, event] of this.signed) if (event.expiresAt <= nowSeconds) this.signed.delete(id);
  }
}
