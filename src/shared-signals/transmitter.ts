/**
 * Delivery of a stream's SETs, durably: fan-out from the security-event log into the stream's
 * queue, then RFC 8935 push or RFC 8936 poll from that queue.
 *
 * Fan-out: each stream keeps a cursor over the log (the last event id it has taken). The events
 * after it that the stream delivers become SET claims in its queue, and the cursor moves, in one
 * transaction that only succeeds if the cursor did not move meanwhile (storage/knex/
 * shared-signals-store.ts `advance`), so two processes never queue the same event twice. An
 * enabled or paused stream queues (paused holds them, SSF §8.1.2); a disabled one only moves on.
 * The queue and the cursor are in the database: a restart (or a crash) loses nothing, and a SET
 * leaves the queue only when it was delivered (push: 2xx) or acknowledged (poll: `ack`), so
 * nothing acknowledged is ever sent again. The claims are queued; the signature (RS256, the
 * CAEP interoperability profile's alg, the active key's `kid`) is made at each delivery, so a key
 * revoked meanwhile never signs a SET that goes out.
 *
 * Push (RFC 8935 §2): a worker in every server process looks for push streams with work every
 * PUSH_TICK_MS (and at once when this process queued something). One process at a time pushes a
 * given stream: it takes the stream's lease row (`claimLease`, PUSH_LEASE_SECONDS, renewed for
 * each SET). SETs go one at a time in queue order, `POST` `application/secevent+jwt` with the
 * stream's `Authorization` header when it has one. 202 (any 2xx) is delivered. A 400 with an RFC
 * 8935 §2.3 error body is the receiver refusing that SET for good (a bad signature, a wrong
 * audience...): logged and dropped, or it would block the stream for ever. Anything else (a network
 * error, a timeout, 401, 5xx...) is retried with exponential back-off (1 s, 2 s, 4 s... up to
 * PUSH_MAX_BACKOFF_SECONDS), the SET staying first in line.
 *
 * Poll (RFC 8936 §2): the receiver's POST first removes what it acknowledges (`ack`) or reports
 * as failed (`setErrs`: logged; such a SET is not sent again), then fans out and returns up to
 * `maxEvents` SETs still in the queue, oldest first, with `moreAvailable`. An unacknowledged SET
 * is returned again on the next poll, with the same jti. With `returnImmediately` false and
 * nothing to return, the request waits up to `longPollMs` for something to arrive.
 */
import os from 'node:os';
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { KeySealer } from '../keys/encryption.js';
import type { Keyring } from '../keys/keyring.js';
import type { Metrics } from '../metrics/metrics.js';
import { OAuthError } from '../oauth/errors.js';
import type { QueuedSet, SecurityEventStore, StreamRecord, StreamStore } from '../storage/shared-signals.js';
import { eventSet, type SetDraft } from './security-event-tokens.js';
import { authorizationHeaderAad, eventsDelivered } from './streams.js';
import { tracedFetch } from '../tracing/spans.js';

/** RFC 8935 deliveries, each a `POST ssf_push` span (tracing/spans.ts). */
const pushFetch = tracedFetch('ssf_push');

export const PUSH_TICK_MS = 250;
export const PUSH_LEASE_SECONDS = 30;
export const PUSH_TIMEOUT_MS = 10_000;
export const PUSH_MAX_BACKOFF_SECONDS = 300;
export const LONG_POLL_MS = 10_000;
const FAN_OUT_PAGE = 500;
const POLL_DEFAULT_MAX_EVENTS = 100;
const POLL_MAX_EVENTS = 1000;
const PUSH_DUE_PAGE = 50;

export interface TransmitterDeps {
  readonly stores: { readonly ssfStreams: StreamStore; readonly securityEvents: Pick<SecurityEventStore, 'listSince' | 'latestId'> };
  readonly keyring: Pick<Keyring, 'signer'>;
  readonly sealer: Pick<KeySealer, 'unseal'>;
  readonly clock: Clock;
  readonly issuer: string;
  readonly log: Logger;
  /** How long a poll with `returnImmediately: false` waits for a SET (default LONG_POLL_MS). */
  readonly longPollMs?: number;
  readonly pushTimeoutMs?: number;
  /** Counts what becomes of each SET (metrics/metrics.ts `inkan_ssf_sets_total`). */
  readonly metrics?: Pick<Metrics, 'ssfSet'>;
}

/** An RFC 8936 §2.1 poll request, parsed. */
export interface PollRequest {
  readonly maxEvents: number;
  readonly returnImmediately: boolean;
  readonly ack: readonly string[];
  readonly setErrs: Readonly<Record<string, { readonly err: string; readonly description?: string }>>;
}

export interface PollAnswer {
  readonly sets: Readonly<Record<string, string>>;
  readonly moreAvailable: boolean;
}

const invalid = (description: string) => new OAuthError('invalid_request', description);

/** RFC 8936 §2.1: the members of a poll request; anything malformed is 400. */
export function parsePollRequest(body: Readonly<Record<string, unknown>>): PollRequest {
  const { maxEvents, returnImmediately, ack, setErrs } = body;
  if (maxEvents !== undefined && !(Number.isSafeInteger(maxEvents) && (maxEvents as number) >= 0)) throw invalid('maxEvents must be a non-negative integer');
  if (returnImmediately !== undefined && typeof returnImmediately !== 'boolean') throw invalid('returnImmediately must be true or false');
  if (ack !== undefined && !(Array.isArray(ack) && ack.every((jti) => typeof jti === 'string'))) throw invalid('ack must be an array of jti strings');
  if (setErrs !== undefined) {
    const valid =
      typeof setErrs === 'object' && setErrs !== null && !Array.isArray(setErrs) &&
      Object.values(setErrs).every((error) => typeof error === 'object' && error !== null && typeof (error as { err?: unknown }).err === 'string');
    if (!valid) throw invalid('setErrs must map jti strings to {"err": …, "description": …}');
  }
  return {
    maxEvents: Math.min(maxEvents === undefined ? POLL_DEFAULT_MAX_EVENTS : (maxEvents as number), POLL_MAX_EVENTS),
    returnImmediately: returnImmediately === true,
    ack: (ack as string[] | undefined) ?? [],
    setErrs: (setErrs as PollRequest['setErrs'] | undefined) ?? {},
  };
}

export class Transmitter {
  /** This process's name on the leases it holds. */
  private readonly owner = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly pollWaiters = new Set<() => void>();

  constructor(private readonly deps: TransmitterDeps) {}

  /** Starts the push worker (the server does; the CLI never). */
  start(tickMs = PUSH_TICK_MS): void {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), tickMs);
    this.timer.unref();
  }

  /** Stops the worker and waits for a round in progress (the database closes after). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const waiter of [...this.pollWaiters]) waiter();
    await this.running;
  }

  /** Something may be waiting: push now (one round at a time) and wake long polls. */
  wake(): void {
    for (const waiter of [...this.pollWaiters]) waiter();
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.pushRound()
      .catch((error: unknown) => this.deps.log.error({ err: error, event: 'ssf.push_round_failed' }, 'a Shared Signals push round failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Moves the stream's new security events into its queue (see the header). */
  async fanOut(stream: StreamRecord): Promise<void> {
    let cursor = stream.cursor;
    const delivered = eventsDelivered(stream);
    for (;;) {
      const events = await this.deps.stores.securityEvents.listSince(cursor, FAN_OUT_PAGE);
      if (events.length === 0) return;
      const nowSeconds = this.deps.clock.nowSeconds();
      const envelope = { issuer: this.deps.issuer, audience: stream.clientId, nowSeconds };
      const sets: SetDraft[] = [];
      if (stream.status !== 'disabled') {
        for (const event of events) {
          const set = eventSet(envelope, event);
          const type = set === undefined ? undefined : Object.keys(set.claims.events as object)[0];
          if (set !== undefined && type !== undefined && delivered.includes(type)) sets.push(set);
        }
      }
      const last = events.at(-1)!.id;
      // Another process moved the cursor first: it queued this range; nothing more to do here.
      if (!(await this.deps.stores.ssfStreams.advance(stream.id, cursor, last, sets, nowSeconds))) return;
      cursor = last;
      if (events.length < FAN_OUT_PAGE) return;
    }
  }

  /** RFC 8936 §2: one poll of `stream` (already the caller's own). */
  async poll(stream: StreamRecord, request: PollRequest): Promise<PollAnswer> {
    const streams = this.deps.stores.ssfStreams;
    for (const [jti, error] of Object.entries(request.setErrs)) {
      this.deps.log.warn({ event: 'ssf.set_refused', stream_id: stream.id, jti, err: error.err }, 'a Shared Signals receiver reported an error on a SET');
    }
    const acknowledged = await streams.remove(stream.id, [...request.ack, ...Object.keys(request.setErrs)]);
    this.deps.metrics?.ssfSet('poll', 'acknowledged', acknowledged);
    // Paused holds, disabled drops: neither transmits (SSF §8.1.2).
    if (request.maxEvents === 0 || stream.status !== 'enabled') return { sets: {}, moreAvailable: false };
    const deadline = Date.now() + (request.returnImmediately ? 0 : (this.deps.longPollMs ?? LONG_POLL_MS));
    for (;;) {
      const current = (await streams.find(stream.id)) ?? stream;
      await this.fanOut(current);
      const queued = await streams.queued(stream.id, request.maxEvents + 1);
      if (queued.length > 0 || Date.now() >= deadline || this.stopped) {
        const page = queued.slice(0, request.maxEvents);
        return { sets: Object.fromEntries(page.map((set) => [set.jti, this.sign(set)])), moreAvailable: queued.length > request.maxEvents };
      }
      await this.waitForWork(deadline - Date.now());
    }
  }

  /** The SET of a queued entry, signed now. */
  sign(set: Pick<QueuedSet, 'claims'>): string {
    return this.deps.keyring.signer('RS256').sign('secevent+jwt', set.claims);
  }

  private waitForWork(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pollWaiters.delete(done);
        resolve();
      };
      // The push tick wakes waiters too, so other processes' events are seen within a tick.
      const timer = setTimeout(done, Math.max(0, Math.min(timeoutMs, PUSH_TICK_MS * 2)));
      this.pollWaiters.add(done);
    });
  }

  private async pushRound(): Promise<void> {
    const streams = this.deps.stores.ssfStreams;
    const latest = await this.deps.stores.securityEvents.latestId();
    const due = await streams.pushDue(latest, this.deps.clock.nowSeconds(), PUSH_DUE_PAGE);
    for (const stream of due) {
      if (this.stopped) return;
      const now = this.deps.clock.nowSeconds();
      if (!(await streams.claimLease(stream.id, this.owner, now, now + PUSH_LEASE_SECONDS))) continue;
      try {
        await this.pushStream(stream);
      } catch (error) {
        // One stream's trouble (its sealed header no longer opens, say) must not hold up the others.
        this.deps.log.error({ err: error, event: 'ssf.push_failed', stream_id: stream.id }, 'a Shared Signals stream could not be pushed');
        await streams.setPushState(stream.id, stream.pushFailures + 1, now + Math.min(PUSH_MAX_BACKOFF_SECONDS, 2 ** stream.pushFailures));
      } finally {
        await streams.releaseLease(stream.id, this.owner);
      }
    }
  }

  private async pushStream(stream: StreamRecord): Promise<void> {
    const streams = this.deps.stores.ssfStreams;
    await this.fanOut(stream);
    if (stream.endpointUrl === null) return;
    const authorization = stream.sealedAuthorizationHeader === null
      ? undefined
      : this.deps.sealer.unseal(authorizationHeaderAad(stream.id), stream.sealedAuthorizationHeader).toString('utf8');
    for (;;) {
      if (this.stopped) return;
      const [set] = await streams.queued(stream.id, 1);
      if (set === undefined) break;
      const now = this.deps.clock.nowSeconds();
      if (!(await streams.claimLease(stream.id, this.owner, now, now + PUSH_LEASE_SECONDS))) return;
      const outcome = await this.push(stream, set, authorization);
      this.deps.metrics?.ssfSet('push', outcome === 'retry' ? 'failed' : outcome);
      if (outcome === 'retry') {
        const failures = stream.pushFailures + 1;
        const backoff = Math.min(PUSH_MAX_BACKOFF_SECONDS, 2 ** (failures - 1));
        await streams.setPushState(stream.id, failures, this.deps.clock.nowSeconds() + backoff);
        return;
      }
      await streams.remove(stream.id, [set.jti]);
    }
    if (stream.pushFailures > 0) await streams.setPushState(stream.id, 0, 0);
  }

  /** One RFC 8935 delivery: 'delivered', 'refused' (a 400 error for this SET), or 'retry'. */
  private async push(stream: StreamRecord, set: QueuedSet, authorization: string | undefined): Promise<'delivered' | 'refused' | 'retry'> {
    const log = this.deps.log;
    try {
      const response = await pushFetch(stream.endpointUrl!, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/secevent+jwt',
          Accept: 'application/json',
          ...(authorization === undefined ? {} : { Authorization: authorization }),
        },
        body: this.sign(set),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.deps.pushTimeoutMs ?? PUSH_TIMEOUT_MS),
      });
      if (response.status >= 200 && response.status < 300) {
        await response.body?.cancel().catch(() => {});
        return 'delivered';
      }
      const err = response.status === 400 ? rfc8935Error(await cappedText(response, ERROR_BODY_MAX_BYTES)) : undefined;
      if (response.status !== 400) await response.body?.cancel().catch(() => {});
      if (err !== undefined) {
        log.warn({ event: 'ssf.set_refused', stream_id: stream.id, jti: set.jti, err }, 'a Shared Signals receiver refused a SET');
        return 'refused';
      }
      log.warn({ event: 'ssf.push_failed', stream_id: stream.id, jti: set.jti, status: response.status }, 'a Shared Signals push failed; it will be retried');
      return 'retry';
    } catch (error) {
      log.warn({ event: 'ssf.push_failed', stream_id: stream.id, jti: set.jti, reason: (error as Error).message }, 'a Shared Signals push failed; it will be retried');
      return 'retry';
    }
  }
}

/** An RFC 8935 error body is a small JSON object: what a receiver sends beyond this is not read. */
const ERROR_BODY_MAX_BYTES = 4096;

async function cappedText(response: Response, maxBytes: number): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size <= maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    return '';
  } finally {
    await reader.cancel().catch(() => {});
  }
  return size > maxBytes ? '' : Buffer.concat(chunks).toString('utf8');
}

/** The `err` of an RFC 8935 §2.3 error body, or undefined when the body is not one. */
function rfc8935Error(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { err?: unknown };
    return typeof body.err === 'string' ? body.err : undefined;
  } catch {
    return undefined;
  }
}
