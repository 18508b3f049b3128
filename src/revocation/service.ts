/**
 * The revocation records service: writes records (for revocation/revoker.ts, the one path that
 * decides what ends), and gives a cheap in-memory answer to "is this access token revoked?".
 *
 * Writing (`revoke`): the record's lifetime is computed here. A `jti` record lives until that
 * token's `exp`. `subject`, `session`, `grant` and `client` records cover tokens issued up to
 * now, so they live until the latest `exp` such a token can have: now + 1 + ACCESS_TOKEN_TTL.
 * `subject` and `client` records get `notBefore = now + 1`, so a token issued in the same second
 * as the revocation (iat = now) is covered too; a token issued afterwards is not, which is why the
 * families and sessions behind them are ended in the same breath (see revoker.ts). Sessions and
 * grants end for good, so their records need no time bound.
 *
 * Reading (`isRevoked`): every unexpired record is held in memory, indexed by jti, sub, sid,
 * grant_id and client_id, so a check is a few map lookups. The cache follows the store with
 * `listSince(lastSeenId)`: at most once per second on the read path, after every local write,
 * every REVOCATION_POLL_INTERVAL_MS while `startSync` runs (the server starts it), and — for callers that must not
 * answer from a cache that may be a second old, like introspection, whose answer is the
 * authority a resource server acts on — on demand with `{ fresh: true }`. Fresh syncs coalesce:
 * however many requests arrive, at most one query runs and one more waits behind it, and a
 * caller is only answered by a sync that started after it asked, so a revocation committed by
 * another process (the CLI) before the call is always seen.
 *
 * Events (for the push feed and the status list): `onRevoked(listener)` calls the listener with
 * every record this process learns of after subscribing — its own writes and other processes'
 * alike, each exactly once, in id order (the store makes ids visible in order). `snapshot()` gives
 * the live records at that moment, and `latestId` the highest id seen, so a subscriber can start
 * from a snapshot and then follow events without a gap. Records whose `expiresAt` passed are
 * dropped from memory; the purge deletes them from the store.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RevocationStore, StatusEntry, StoredRevocation } from '../storage/revocations.js';
import { isCoveredBy, targetKey, tokenKeys, type RevocableClaims } from './revocations.js';

export type RevocationRequest =
  /** One access token, until its own `exp`; with where its status bit is, when it has one. */
  | { readonly kind: 'jti'; readonly jti: string; readonly expiresAt: number; readonly statusEntry?: StatusEntry | undefined }
  /** Every token of the user issued so far (log out everywhere, user disabled). */
  | { readonly kind: 'subject'; readonly sub: string }
  /** Every token of one login session (logout of one device). */
  | { readonly kind: 'session'; readonly sid: string }
  /** Every token of one grant: a code exchange and its refresh family. */
  | { readonly kind: 'grant'; readonly grantId: string }
  /** Every token issued to the client so far (client deleted). */
  | { readonly kind: 'client'; readonly clientId: string };

export interface RevocationServiceDeps {
  readonly store: RevocationStore;
  readonly clock: Clock;
  readonly accessTokenTtlSeconds: number;
  /** Milliseconds from a monotonic source, for cache staleness only (never a domain time). */
  readonly monotonicMs?: () => number;
  /** Counts the records this process writes, by kind (metrics/metrics.ts). */
  readonly metrics?: Pick<Metrics, 'revoked'>;
}

export type RevocationListener = (record: StoredRevocation) => void;

export interface RevocationSync {
  stop(): void;
}

/** How old the cache may be before a (non-fresh) read refreshes it. */
export const REVOCATION_CACHE_MAX_AGE_MS = 1000;
/**
 * How often a server looks for records other processes wrote (`startSync`): on SQLite the CLI's
 * writes reach the feed, the status lists and the streams' own checks only this way, and a
 * revocation must reach verifiers within a second. One indexed query that finds nothing, 4 a second.
 */
export const REVOCATION_POLL_INTERVAL_MS = 250;
const PAGE_SIZE = 1000;

export class RevocationService {
  private readonly records = new Map<number, StoredRevocation>();
  private readonly byKey = new Map<string, Set<StoredRevocation>>();
  private readonly listeners = new Set<RevocationListener>();
  private lastId = 0;
  private lastSyncStartedMs: number | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private readonly monotonicMs: () => number;

  constructor(private readonly deps: RevocationServiceDeps) {
    this.monotonicMs = deps.monotonicMs ?? (() => performance.now());
  }

  /** Writes a record and brings the cache (and listeners) up to date before returning it. */
  async revoke(request: RevocationRequest): Promise<StoredRevocation> {
    const now = this.deps.clock.nowSeconds();
    const coveredUntil = now + 1 + this.deps.accessTokenTtlSeconds;
    let record: StoredRevocation;
    switch (request.kind) {
      case 'jti':
        record = await this.deps.store.add({ kind: 'jti', jti: request.jti }, now, request.expiresAt, request.statusEntry);
        break;
      case 'subject':
        record = await this.deps.store.add({ kind: 'subject', sub: request.sub, notBefore: now + 1 }, now, coveredUntil);
        break;
      case 'session':
        record = await this.deps.store.add({ kind: 'session', sid: request.sid }, now, coveredUntil);
        break;
      case 'grant':
        record = await this.deps.store.add({ kind: 'grant', grantId: request.grantId }, now, coveredUntil);
        break;
      case 'client':
        record = await this.deps.store.add({ kind: 'client', clientId: request.clientId, notBefore: now + 1 }, now, coveredUntil);
        break;
    }
    this.deps.metrics?.revoked(request.kind);
    await this.sync();
    return record;
  }

  /** True when a live record covers the token. `fresh` first waits for a sync that starts now. */
  async isRevoked(claims: RevocableClaims, options: { fresh?: boolean } = {}): Promise<boolean> {
    const stale = this.lastSyncStartedMs === undefined || this.monotonicMs() - this.lastSyncStartedMs >= REVOCATION_CACHE_MAX_AGE_MS;
    if (options.fresh === true || stale) await this.sync();
    return this.covers(claims);
  }

  /** The cached answer, without touching the store (for synchronous hot paths; up to ~1 s old). */
  covers(claims: RevocableClaims): boolean {
    const now = this.deps.clock.nowSeconds();
    for (const key of tokenKeys(claims)) {
      for (const record of this.byKey.get(key) ?? []) {
        if (record.expiresAt > now && isCoveredBy(record.target, claims)) return true;
      }
    }
    return false;
  }

  /** Whether a live record ends the grant, from a read that starts after this call. */
  async grantEnded(grantId: string): Promise<boolean> {
    await this.sync();
    return this.recordsFor(targetKey({ kind: 'grant', grantId })).length > 0;
  }

  /** The live records filed under `key` (revocations.ts `targetKey`). */
  recordsFor(key: string): StoredRevocation[] {
    const now = this.deps.clock.nowSeconds();
    return [...(this.byKey.get(key) ?? [])].filter((record) => record.expiresAt > now);
  }

  /** Subscribes to every record learned from now on; returns the unsubscribe function. */
  onRevoked(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The live records held now, in id order. */
  snapshot(): StoredRevocation[] {
    const now = this.deps.clock.nowSeconds();
    return [...this.records.values()].filter((record) => record.expiresAt > now).sort((a, b) => a.id - b.id);
  }

  /** The highest record id this process has seen. */
  get latestId(): number {
    return this.lastId;
  }

  /**
   * Brings the cache up to date with a read that starts after this call. Concurrent callers share
   * queries: one runs, at most one more waits behind it for everyone who arrived meanwhile.
   */
  sync(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.load().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  /** Syncs every `intervalMs` (the server runs this so the push feed learns of CLI revocations). */
  startSync(intervalMs = REVOCATION_POLL_INTERVAL_MS, onError: (error: unknown) => void = () => {}): RevocationSync {
    const timer = setInterval(() => {
      this.sync().catch(onError);
    }, intervalMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  private async load(): Promise<void> {
    this.lastSyncStartedMs = this.monotonicMs();
    const now = this.deps.clock.nowSeconds();
    for (;;) {
      const page = await this.deps.store.listSince(this.lastId, now, PAGE_SIZE);
      for (const record of page) this.remember(record);
      if (page.length < PAGE_SIZE) break;
    }
    this.forgetExpired(now);
  }

  private remember(record: StoredRevocation): void {
    if (record.id <= this.lastId && this.records.has(record.id)) return;
    this.lastId = Math.max(this.lastId, record.id);
    this.records.set(record.id, record);
    const key = targetKey(record.target);
    let set = this.byKey.get(key);
    if (set === undefined) {
      set = new Set();
      this.byKey.set(key, set);
    }
    set.add(record);
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch {
        // A failing subscriber must not stop the cache from following the store.
      }
    }
  }

  private forgetExpired(now: number): void {
    for (const [id, record] of this.records) {
      if (record.expiresAt > now) continue;
      this.records.delete(id);
      const key = targetKey(record.target);
      const set = this.byKey.get(key);
      set?.delete(record);
      if (set?.size === 0) this.byKey.delete(key);
    }
  }
}
