/**
 * The Token Status List (draft-ietf-oauth-status-list): every access token carries
 * `status.status_list {idx, uri}`, and the uri serves a signed list of one bit per index
 * (1 = revoked) for verifiers that poll rather than subscribe to the feed.
 *
 * Allocation. A process leases a whole list (65 536 entries) with one database write and hands
 * out its indices itself: at random (so an index says nothing about issuance order or volume),
 * each index once per lease, and only up to half the list (so a random pick needs ~2 tries at
 * most). The lease is for LEASE_SECONDS; the list is free again only after every token issued
 * from it has expired (lease end + ACCESS_TOKEN_TTL + skew), so an index is never reused while
 * a token carrying it is alive. A spare lease is taken in the background before the current one
 * runs out, so issuing a token never waits for a lease. If no lease is ready (the database was
 * down for the whole lease), tokens are issued without a status claim and a warning is logged:
 * the feed still covers them.
 *
 * Which bits flip, durably. Each issued index is recorded in the database under the token's
 * owners — its client, subject, session and grant — by a group commit the token endpoint waits for
 * before it answers (issued-status-log.ts). Setting the bits a revocation record covers is then a
 * query of the database, the same before and after a restart, for tokens of any process: `jti`
 * records name their token's entry themselves (RFC 7009 presented the token), the other kinds
 * look up the indices issued to their owner (subject and client records only those issued before
 * their `notBefore`). Every process flips every record it learns of — its own writes, other
 * processes' through the revocation service's sync, and at start every live record (a process
 * that died between a commit and a flip, a record the CLI wrote while no server ran); and after
 * each of its own commits, the records it already knows that name an owner of the batch, so a
 * token committed while a record was being written is covered too. Flips are idempotent.
 *
 * Serving. Any process serves any list from the database's set bits (cached one second), signed
 * with the active key of ISSUER_TOKEN_ALG (EdDSA, keys/keyring.ts): header `typ: statuslist+jwt`;
 * claims `iss`, `sub` (the list's uri), `iat`, `exp`, `ttl`, `status_list {bits: 1, lst}`.
 */
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { ISSUER_TOKEN_ALG, type Keyring } from '../keys/keyring.js';
import { encodeStatusList, setBit } from '@inkan/verifier/protocol';
import { IssuedStatusLog } from './issued-status-log.js';
import type { StoredRevocation } from '../storage/revocations.js';
import { ownerKeys, targetKey, type RevocableClaims } from './revocations.js';
import type { RevocationService } from './service.js';
import type { RevokedStatusEntry, StatusListLease, StatusListStore } from '../storage/status-lists.js';

export const STATUS_LIST_CAPACITY = 65_536;
export const LEASE_SECONDS = 300;
/** How long a verifier may cache a list (`ttl`), and how long the signed list is valid (`exp`). */
export const STATUS_LIST_TTL_SECONDS = 10;
export const STATUS_LIST_VALIDITY_SECONDS = 120;
const FILL_LIMIT = STATUS_LIST_CAPACITY / 2;
const SERVE_CACHE_MS = 1000;
const SKEW_SECONDS = 60;

/** What the access-token issuer tells the status list about a token it is about to sign. */
export interface StatusListTokenFacts extends RevocableClaims {
  readonly exp: number;
}

/** The dependency of tokens/access-token.ts. */
export interface StatusListReferences {
  /** The token's `status.status_list` claim, or undefined when no index is available. */
  reference(token: StatusListTokenFacts): { idx: number; uri: string } | undefined;
}

interface ActiveLease extends StatusListLease {
  readonly uri: string;
  readonly used: Uint8Array;
  count: number;
}

export interface StatusListsDeps {
  readonly store: StatusListStore;
  readonly revocations: Pick<RevocationService, 'onRevoked' | 'snapshot' | 'recordsFor'>;
  readonly keyring: Pick<Keyring, 'signer'>;
  readonly clock: Clock;
  readonly issuer: string;
  readonly listPath: string;
  readonly accessTokenTtlSeconds: number;
  readonly log: Logger;
}

/**
 * Whether a record may cover a token issued at `iat`: subject and client records cover only tokens
 * issued before their `notBefore` (a person signing in again after a log-out-everywhere is not
 * covered, and needs no flip); a session or grant never issues again once ended.
 */
function mayCover(record: StoredRevocation, iat: number): boolean {
  const target = record.target;
  return target.kind === 'subject' || target.kind === 'client' ? iat < target.notBefore : true;
}

export class StatusLists implements StatusListReferences {
  private current: ActiveLease | undefined;
  private spare: ActiveLease | undefined;
  private leasing: Promise<void> | undefined;
  private readonly issued: IssuedStatusLog;
  private readonly served = new Map<string, { jwt: string; builtAtMs: number }>();
  /** Flips run one after another: a burst of records (a start) must not take every pooled connection. */
  private flips: Promise<unknown> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private warnedNoLease = false;

  constructor(private readonly deps: StatusListsDeps) {
    this.issued = new IssuedStatusLog({
      store: deps.store,
      onCommitted: (owners) => {
        for (const [owner, earliestIat] of owners) {
          for (const record of deps.revocations.recordsFor(owner)) if (mayCover(record, earliestIat)) void this.flip(record);
        }
      },
      onFailed: (error) => deps.log.error({ err: error, event: 'status_list.commit_failed' }, 'issued status-list indices could not be recorded'),
    });
  }

  uriOf(listId: string): string {
    return `${this.deps.issuer}${this.deps.listPath}/${listId}`;
  }

  /** Takes the first lease and starts following revocations; call before issuing tokens. */
  async start(): Promise<void> {
    await this.ensureSpare();
    this.unsubscribe = this.deps.revocations.onRevoked((record) => void this.flip(record));
    // Records already known (the service may have synced before this subscription) flip too.
    for (const record of this.deps.revocations.snapshot()) void this.flip(record);
    this.timer = setInterval(() => this.housekeeping(), 10_000);
    this.timer.unref();
  }

  /** Stops following revocations and waits for the flips under way. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.timer);
    await this.flips;
  }

  reference(token: StatusListTokenFacts): { idx: number; uri: string } | undefined {
    const now = this.deps.clock.nowSeconds();
    let lease = this.current;
    if (lease === undefined || lease.count >= FILL_LIMIT || now >= lease.leaseUntil) {
      lease = this.spare !== undefined && now < this.spare.leaseUntil ? this.spare : undefined;
      this.current = lease;
      this.spare = undefined;
    }
    if (lease === undefined || lease.count >= FILL_LIMIT * 0.8 || now >= lease.leaseUntil - 60) void this.ensureSpare();
    if (lease === undefined) {
      if (!this.warnedNoLease) this.deps.log.warn({ event: 'status_list.no_lease' }, 'no status list lease: issuing tokens without a status claim');
      this.warnedNoLease = true;
      return undefined;
    }
    this.warnedNoLease = false;
    let idx: number;
    do idx = crypto.randomInt(lease.capacity);
    while (((lease.used[idx >> 3] ?? 0) >> (idx & 7)) & 1);
    setBit(lease.used, idx);
    lease.count += 1;
    // A jti record names its token's entry itself; every other kind finds it under an owner.
    this.issued.add({ listId: lease.listId, idx, owners: ownerKeys(token), issuedAt: token.iat, expiresAt: token.exp });
    return { idx, uri: lease.uri };
  }

  /** Resolves once the indices of every token referenced so far are committed (the token endpoint waits for it). */
  durable(): Promise<void> {
    return this.issued.durable();
  }

  /** The signed status list token of a list, or undefined when there is no such list. */
  async statusListToken(listId: string): Promise<string | undefined> {
    const cached = this.served.get(listId);
    if (cached !== undefined && performance.now() - cached.builtAtMs < SERVE_CACHE_MS) return cached.jwt;
    const capacity = await this.deps.store.capacity(listId);
    if (capacity === undefined) return undefined;
    const now = this.deps.clock.nowSeconds();
    const bits = new Uint8Array(capacity / 8);
    for (const idx of await this.deps.store.revokedIndexes(listId, now)) if (idx < capacity) setBit(bits, idx);
    const jwt = this.deps.keyring.signer(ISSUER_TOKEN_ALG).sign('statuslist+jwt', {
      iss: this.deps.issuer,
      sub: this.uriOf(listId),
      iat: now,
      exp: now + STATUS_LIST_VALIDITY_SECONDS,
      ttl: STATUS_LIST_TTL_SECONDS,
      status_list: { bits: 1, lst: encodeStatusList(bits) },
    });
    this.served.set(listId, { jwt, builtAtMs: performance.now() });
    return jwt;
  }

  /** Sets the bits of every token the record covers (queued behind earlier flips); resolves to how many. */
  flip(record: StoredRevocation): Promise<number> {
    const flipped = this.flips.then(() => this.setBits(record));
    this.flips = flipped.catch((error: unknown) => this.deps.log.error({ err: error, recordId: record.id }, 'status list bits could not be written'));
    return flipped;
  }

  private async setBits(record: StoredRevocation): Promise<number> {
    const now = this.deps.clock.nowSeconds();
    const target = record.target;
    let entries: RevokedStatusEntry[];
    if (target.kind === 'jti') {
      entries = record.statusEntry === undefined ? [] : [{ ...record.statusEntry, expiresAt: record.expiresAt }];
    } else {
      const issuedBefore = target.kind === 'subject' || target.kind === 'client' ? target.notBefore : undefined;
      entries = await this.deps.store.issuedTo(targetKey(target), now, issuedBefore);
    }
    if (entries.length === 0) return 0;
    await this.deps.store.markRevoked(entries);
    for (const entry of entries) this.served.delete(entry.listId);
    return entries.length;
  }

  private async ensureSpare(): Promise<void> {
    if (this.spare !== undefined) return;
    this.leasing ??= (async () => {
      const now = this.deps.clock.nowSeconds();
      const leaseUntil = now + LEASE_SECONDS;
      const lease = await this.deps.store.lease({
        now,
        leaseUntil,
        freeAfter: leaseUntil + this.deps.accessTokenTtlSeconds + SKEW_SECONDS,
        newListId: crypto.randomBytes(12).toString('base64url'),
        capacity: STATUS_LIST_CAPACITY,
      });
      const active: ActiveLease = { ...lease, uri: this.uriOf(lease.listId), used: new Uint8Array(lease.capacity / 8), count: 0 };
      if (this.current === undefined) this.current = active;
      else this.spare = active;
    })()
      .catch((error: unknown) => this.deps.log.error({ err: error }, 'status list lease failed'))
      .finally(() => (this.leasing = undefined));
    await this.leasing;
  }

  /** Forgets cached lists and purges expired bits and issued indices. */
  housekeeping(): void {
    for (const [listId, served] of this.served) if (performance.now() - served.builtAtMs > SERVE_CACHE_MS) this.served.delete(listId);
    this.deps.store.purgeExpired(this.deps.clock.nowSeconds()).catch((error: unknown) => this.deps.log.warn({ err: error }, 'status list purge failed'));
  }
}
