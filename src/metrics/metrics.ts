/**
 * Prometheus metrics (prom-client) for the people who run Inkan: what the endpoints answer and how
 * fast, what is issued and revoked, how logins go, how old the signing keys are, how the revocation
 * feed keeps up, and the process itself (prom-client's default process and event-loop metrics).
 *
 * One `Metrics` per server, on its own registry (never prom-client's global one), created in
 * deps.ts and handed to whatever counts: the domain sees only the narrow methods below, never
 * prom-client. The request path costs two map lookups and three additions: the HTTP request
 * metrics are counted in plain arrays and read at scrape time (request-metrics.ts).
 *
 * Cardinality is bounded by construction: routes are the router's templates (`/status-lists/:listId`,
 * never a raw URL; `unmatched` otherwise), status by class, client ids by what operators register.
 * The gauges of keys, of the feed and of the back-channel logout queue are computed when Prometheus
 * scrapes.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PasskeyCeremony, PasskeyOutcome } from '../audit/passkeys.js';
import type { Clock } from '../clock.js';
import type { KeySet } from '../storage/keys.js';
import type { MetricsSnapshot } from './cluster-metrics.js';
import { RequestMetrics } from './request-metrics.js';

export type LoginOutcome = 'success' | 'failure' | 'throttled';
/** RFC 8628 device authorizations: started at the device endpoint, then the person's code and decision. */
export const DEVICE_OUTCOMES = ['started', 'approved', 'denied', 'wrong_code', 'throttled'] as const;
export type DeviceOutcome = (typeof DEVICE_OUTCOMES)[number];
/** What became of a Shared Signals SET: pushed and accepted, refused by the receiver, a failed push (retried), acknowledged by a poll. */
export type SsfOutcome = 'delivered' | 'refused' | 'failed' | 'acknowledged';
/** A second factor at the sign-in's Code step (audit/second-factors.ts). */
export type SecondFactorMethod = 'totp' | 'recovery';
export type SecondFactorOutcome = 'success' | 'failure' | 'replayed' | 'throttled';
/** Revocation records by target, and refresh families ended one by one (RFC 7009, reuse). */
export type RevocationKind = 'jti' | 'subject' | 'session' | 'grant' | 'client' | 'refresh_family';
/** Back-channel logout deliveries: answered 2xx, failed and rescheduled, given up, or refused at the per-client cap. */
export type LogoutDeliveryOutcome = 'delivered' | 'retried' | 'abandoned' | 'dropped';
const LOGOUT_DELIVERY_OUTCOMES: readonly LogoutDeliveryOutcome[] = ['delivered', 'retried', 'abandoned', 'dropped'];

const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const FEED_LAG_BUCKETS_SECONDS = [0.5, 1, 2, 3, 5, 10, 30, 60];

/**
 * prom-client's default metrics describe the process, and their collectors (an event-loop delay
 * monitor, a GC observer) run until the process ends: one set per process, shared by every
 * `Metrics` in it (the tests run many servers in one process), appended to each exposition.
 */
let sharedProcessRegistry: Registry | undefined;
function processRegistry(): Registry {
  if (sharedProcessRegistry === undefined) {
    sharedProcessRegistry = new Registry();
    collectDefaultMetrics({ register: sharedProcessRegistry });
  }
  return sharedProcessRegistry;
}

export interface KeyWatch {
  /** The stored keys (the key manager's snapshot), read at scrape time. */
  readonly keys: () => Promise<KeySet>;
  readonly rotationIntervalSeconds: number;
}

/** A Prometheus scrape's answer. */
export interface Exposition {
  readonly contentType: string;
  readonly body: string;
}

export interface MetricsOptions {
  readonly clock: Clock;
  /** prom-client's process and event-loop metrics (default true). */
  readonly defaultMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly clock: Clock;
  private readonly requests: RequestMetrics;
  private readonly tokens: Counter<'grant_type' | 'alg' | 'client_id'>;
  private readonly tokenChildren = new Map<string, Counter.Internal>();
  private readonly rotations: Counter<'outcome'>;
  private readonly reuse: Counter;
  private readonly revocations: Counter<'kind'>;
  private readonly ssfSets: Counter<'method' | 'outcome'>;
  private readonly logins: Counter<'outcome'>;
  private readonly devices: Counter<'outcome'>;
  private readonly logoutDeliveries: Counter<'outcome'>;
  private logoutQueueDepth: (() => Promise<number>) | undefined;
  private readonly secondFactors: Counter<'method' | 'outcome'>;
  private readonly passkeys: Counter<'ceremony' | 'outcome'>;
  private readonly feedLag: Histogram;
  private readonly feedLastLag: Gauge;
  private readonly includeProcessMetrics: boolean;
  private keyWatch: KeyWatch | undefined;
  private gather: (() => Promise<Exposition>) | undefined;
  private feedSubscribers: (() => number) | undefined;
  /** Both key gauges of one scrape share one read of the keys. */
  private keyRead: { readonly atMs: number; readonly keys: Promise<KeySet> } | undefined;

  constructor(options: MetricsOptions) {
    this.clock = options.clock;
    if (options.defaultMetrics !== false) processRegistry();
    const registers = [this.registry];
    this.requests = new RequestMetrics({
      registry: this.registry,
      counterName: 'inkan_http_requests_total',
      counterHelp: 'HTTP requests answered, by route template, method and status class',
      histogramName: 'inkan_http_request_duration_seconds',
      histogramHelp: 'Time to answer an HTTP request, by route template, method and status class',
      bucketsSeconds: LATENCY_BUCKETS_SECONDS,
    });
    this.tokens = new Counter({
      name: 'inkan_tokens_issued_total',
      help: 'Access tokens issued, by grant type, signing algorithm and client',
      labelNames: ['grant_type', 'alg', 'client_id'],
      registers,
    });
    this.rotations = new Counter({
      name: 'inkan_refresh_rotations_total',
      help: 'Refresh tokens rotated (outcome "rotated"), or answered again with the same successor inside the grace window ("retried")',
      labelNames: ['outcome'],
      registers,
    });
    this.reuse = new Counter({
      name: 'inkan_refresh_reuse_detected_total',
      help: 'Used refresh tokens presented again outside the grace window (the family is revoked)',
      registers,
    });
    this.revocations = new Counter({
      name: 'inkan_revocations_total',
      help: 'Revocations written by this process, by kind: jti, subject, session, grant, client (revocation records) and refresh_family',
      labelNames: ['kind'],
      registers,
    });
    this.ssfSets = new Counter({
      name: 'inkan_ssf_sets_total',
      help: 'Shared Signals SETs by delivery method (push, poll) and outcome: delivered, refused (by the receiver), failed (a push to retry), acknowledged (poll)',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.logins = new Counter({
      name: 'inkan_logins_total',
      help: 'Sign-in attempts at the login page, by outcome: success, failure, throttled',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['success', 'failure', 'throttled']) this.logins.labels(outcome).inc(0);
    this.devices = new Counter({
      name: 'inkan_device_authorizations_total',
      help: 'RFC 8628 device authorizations by outcome: started (device endpoint), approved, denied, wrong_code and throttled (user codes typed at the verification page)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of DEVICE_OUTCOMES) this.devices.labels(outcome).inc(0);
    this.logoutDeliveries = new Counter({
      name: 'inkan_backchannel_logout_deliveries_total',
      help: 'Back-channel logout tokens by outcome: delivered (2xx), retried (failed, rescheduled), abandoned (given up), dropped (per-client cap)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of LOGOUT_DELIVERY_OUTCOMES) this.logoutDeliveries.labels(outcome).inc(0);
    this.secondFactors = new Counter({
      name: 'inkan_second_factor_total',
      help: 'Second-factor codes at sign-in, by method (totp, recovery; "code" when neither matched) and outcome: success, failure, replayed, throttled',
      labelNames: ['method', 'outcome'],
      registers,
    });
    for (const outcome of ['success', 'replayed']) this.secondFactors.labels('totp', outcome).inc(0);
    this.secondFactors.labels('recovery', 'success').inc(0);
    for (const outcome of ['failure', 'throttled']) this.secondFactors.labels('code', outcome).inc(0);
    this.passkeys = new Counter({
      name: 'inkan_passkey_ceremonies_total',
      help: 'Passkey ceremonies (registration, authentication) by outcome: success, or why they were refused (cloned, no_challenge, expired_challenge, …)',
      labelNames: ['ceremony', 'outcome'],
      registers,
    });
    for (const [ceremony, outcome] of [['registration', 'success'], ['authentication', 'success'], ['authentication', 'cloned']] as const) this.passkeys.labels(ceremony, outcome).inc(0);
    this.reuse.inc(0);
    const self = this;
    new Gauge({
      name: 'inkan_signing_key_age_seconds',
      help: 'Seconds since the active signing key of each alg became active',
      labelNames: ['alg'],
      registers,
      // Read from the database: every worker of a cluster sees the same value (cluster-metrics.ts).
      aggregator: 'first',
      async collect() {
        await self.collectKeys(this, 'age');
      },
    });
    new Gauge({
      name: 'inkan_signing_key_next_rotation_seconds',
      help: 'Seconds until the scheduled rotation of each alg\'s active key (0 when due)',
      labelNames: ['alg'],
      registers,
      aggregator: 'first',
      async collect() {
        await self.collectKeys(this, 'next');
      },
    });
    new Gauge({
      name: 'inkan_revocation_feed_subscribers',
      help: 'Open revocation feed (SSE) streams (of every worker, with WORKERS > 1)',
      registers,
      collect() {
        this.set(self.feedSubscribers?.() ?? 0);
      },
    });
    new Gauge({
      name: 'inkan_backchannel_logout_queue_depth',
      help: 'Back-channel logout deliveries waiting in the database (every process\'s)',
      registers,
      aggregator: 'first',
      async collect() {
        const depth = self.logoutQueueDepth;
        if (depth === undefined) return;
        try {
          this.set(await depth());
        } catch {
          // the database is down: /readyz says so; the gauge keeps its last value
        }
      },
    });
    this.feedLag = new Histogram({
      name: 'inkan_revocation_feed_delivery_lag_seconds',
      help: 'Seconds from a revocation record\'s creation to its delivery to a live feed subscriber',
      buckets: FEED_LAG_BUCKETS_SECONDS,
      registers,
    });
    this.feedLastLag = new Gauge({
      name: 'inkan_revocation_feed_event_lag_seconds',
      help: 'now - created_at of the newest revocation record delivered to a live feed subscriber, at its delivery',
      registers,
      aggregator: 'max',
    });
    this.includeProcessMetrics = options.defaultMetrics !== false;
  }

  /** The key gauges read `watch` at every scrape. */
  watchKeys(watch: KeyWatch): void {
    this.keyWatch = watch;
  }

  /** The subscriber gauge reads `count` at every scrape. */
  watchFeed(count: () => number): void {
    this.feedSubscribers = count;
  }

  /** The queue-depth gauge reads `depth` at every scrape. */
  watchLogoutQueue(depth: () => Promise<number>): void {
    this.logoutQueueDepth = depth;
  }

  logoutDelivery(outcome: LogoutDeliveryOutcome): void {
    this.logoutDeliveries.labels(outcome).inc();
  }

  /** One answered request; `route` is the router's template (undefined: no route matched). */
  httpRequest(route: string | undefined, method: string, status: number, seconds: number): void {
    this.requests.observe(route ?? 'unmatched', method, status, seconds);
  }

  tokenIssued(grantType: string, alg: string, clientId: string): void {
    // prom-client hashes the label values on every labels() call; the series are few and fixed.
    const key = `${grantType}\0${alg}\0${clientId}`;
    let child = this.tokenChildren.get(key);
    if (child === undefined) {
      child = this.tokens.labels(grantType, alg, clientId);
      this.tokenChildren.set(key, child);
    }
    child.inc();
  }

  refreshRotated(retried: boolean): void {
    this.rotations.labels(retried ? 'retried' : 'rotated').inc();
  }

  refreshReuseDetected(): void {
    this.reuse.inc();
  }

  revoked(kind: RevocationKind): void {
    this.revocations.labels(kind).inc();
  }

  ssfSet(method: 'push' | 'poll', outcome: SsfOutcome, count = 1): void {
    if (count > 0) this.ssfSets.labels(method, outcome).inc(count);
  }

  login(outcome: LoginOutcome): void {
    this.logins.labels(outcome).inc();
  }

  deviceAuthorization(outcome: DeviceOutcome): void {
    this.devices.labels(outcome).inc();
  }

  /** A second-factor code at sign-in; `code` when it matched no factor (wrong) or was not checked (throttled). */
  secondFactor(method: SecondFactorMethod | 'code', outcome: SecondFactorOutcome): void {
    this.secondFactors.labels(method, outcome).inc();
  }

  passkeyCeremony(ceremony: PasskeyCeremony, outcome: PasskeyOutcome): void {
    this.passkeys.labels(ceremony, outcome).inc();
  }

  /** A record (created at `createdAtSeconds`) reached a live subscriber at `nowMs`. */
  feedDelivered(createdAtSeconds: number, nowMs: number): void {
    const lagSeconds = Math.max(0, nowMs / 1000 - createdAtSeconds);
    this.feedLag.observe(lagSeconds);
    this.feedLastLag.set(lagSeconds);
  }

  /**
   * In a worker of a cluster (WORKERS > 1): a scrape answers the metrics of every worker, which the
   * primary gathers from each one's `snapshot()` and merges (cluster/worker.ts, cluster-metrics.ts).
   */
  gatherWith(gather: () => Promise<Exposition>): void {
    this.gather = gather;
  }

  /** What this process contributes to a cluster's scrape: its metrics and the process metrics, as prom-client's JSON. */
  async snapshot(): Promise<MetricsSnapshot> {
    const registries = this.includeProcessMetrics ? [this.registry, processRegistry()] : [this.registry];
    return (await Promise.all(registries.map((registry) => registry.getMetricsAsJSON()))).flat();
  }

  /** The exposition text and its content type: this process's, or the whole cluster's (`gatherWith`). */
  render(): Promise<Exposition> {
    return this.gather === undefined ? this.renderOwn() : this.gather();
  }

  private async renderOwn(): Promise<Exposition> {
    const own = await this.registry.metrics();
    return { contentType: this.registry.contentType, body: this.includeProcessMetrics ? `${own}\n${await processRegistry().metrics()}` : own };
  }

  private async collectKeys(gauge: Gauge<'alg'>, what: 'age' | 'next'): Promise<void> {
    gauge.reset();
    const watch = this.keyWatch;
    if (watch === undefined) return;
    if (this.keyRead === undefined || Date.now() - this.keyRead.atMs > 1000) this.keyRead = { atMs: Date.now(), keys: watch.keys() };
    let set: KeySet;
    try {
      set = await this.keyRead.keys;
    } catch {
      return; // the database is down: /readyz says so; the gauges are left out of this scrape
    }
    const now = this.clock.nowSeconds();
    for (const key of set.keys) {
      if (key.status !== 'active') continue;
      const activatedAt = key.activatedAt ?? key.createdAt;
      gauge.labels(key.alg).set(what === 'age' ? now - activatedAt : Math.max(0, activatedAt + watch.rotationIntervalSeconds - now));
    }
  }
}
