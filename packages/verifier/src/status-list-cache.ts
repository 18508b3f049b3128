/**
 * The Token Status Lists (draft-ietf-oauth-status-list) this verifier has read, for checking
 * revocation when the feed is down or not used. A list is fetched on first need, verified like any
 * token of the issuer (its key from the JWKS, `typ: statuslist+jwt`, `iss`, `sub` = its uri), and
 * refetched once its `ttl` has passed (capped at maxStalenessSeconds); concurrent needs share one
 * fetch. A copy that cannot be refreshed still serves while it is within the staleness bound and
 * its own `exp`. Only lists under the issuer's URL are fetched: the uri comes from a verified
 * token, but a verifier should not follow a signed pointer to anywhere.
 */
import { jwtVerify } from 'jose';
import { decodeHeader } from './access-token.js';
import { fail } from './errors.js';
import type { KeyCache } from './key-cache.js';
import { decodeStatusList, isStatusBits, statusAt, type StatusBits } from './protocol/status-list-bits.js';
import type { VerifierSettings } from './settings.js';

interface CachedStatusList {
  readonly bytes: Uint8Array;
  readonly bits: StatusBits;
  readonly fetchedAtMs: number;
  readonly ttlMs: number;
  readonly expiresAtMs: number;
}

export interface StatusListCacheOptions {
  readonly settings: Pick<VerifierSettings, 'issuer' | 'fetch' | 'log' | 'nowMs' | 'joseClock' | 'toleranceSeconds' | 'maxStalenessMs'>;
  readonly keys: Pick<KeyCache, 'keyFor'>;
  /** Called once per HTTP request to the issuer (the verifier counts them). */
  readonly onRequest: () => void;
}

export class StatusListCache {
  private readonly lists = new Map<string, CachedStatusList>();
  private readonly fetches = new Map<string, Promise<CachedStatusList>>();

  constructor(private readonly options: StatusListCacheOptions) {}

  get size(): number {
    return this.lists.size;
  }

  /**
   * The status of entry `index` of the list at `uri` (0 valid, 1 revoked, 2 suspended), or
   * undefined when no copy of the list within the staleness bound can be had.
   */
  async statusOf(uri: string, index: number, nowMs: number): Promise<number | undefined> {
    const list = await this.current(uri, nowMs);
    if (list === undefined) return undefined;
    try {
      return statusAt(list.bytes, list.bits, index);
    } catch (error) {
      fail('ERR_CLAIM_INVALID', 'the status index is outside its list', error);
    }
  }

  /** The list, refetched once its ttl has passed; an older copy serves while it is within the staleness bound. */
  private async current(uri: string, nowMs: number): Promise<CachedStatusList | undefined> {
    const cached = this.lists.get(uri);
    if (cached !== undefined && nowMs - cached.fetchedAtMs < cached.ttlMs && nowMs < cached.expiresAtMs) return cached;
    let fetching = this.fetches.get(uri);
    if (fetching === undefined) {
      fetching = this.fetch(uri).finally(() => this.fetches.delete(uri));
      this.fetches.set(uri, fetching);
    }
    try {
      const fresh = await fetching;
      this.lists.set(uri, fresh);
      return fresh;
    } catch (error) {
      this.options.settings.log.warn({ uri, error: (error as Error).message }, 'status list fetch failed');
      if (cached !== undefined && nowMs - cached.fetchedAtMs <= this.options.settings.maxStalenessMs && nowMs < cached.expiresAtMs) return cached;
      return undefined;
    }
  }

  private async fetch(uri: string): Promise<CachedStatusList> {
    const settings = this.options.settings;
    if (!uri.startsWith(`${settings.issuer}/`)) throw new Error('the status list is not under the issuer');
    this.options.onRequest();
    const response = await settings.fetch(uri, { headers: { accept: 'application/statuslist+jwt' } });
    if (!response.ok) throw new Error(`the status list answered ${response.status}`);
    const jwt = (await response.text()).trim();
    const key = await this.options.keys.keyFor(decodeHeader(jwt));
    const { payload } = await jwtVerify(jwt, key.key, {
      algorithms: [key.alg],
      typ: 'statuslist+jwt',
      issuer: settings.issuer,
      subject: uri,
      clockTolerance: settings.toleranceSeconds,
      ...settings.joseClock(),
    });
    const statusList = payload.status_list as { bits?: unknown; lst?: unknown } | undefined;
    if (typeof statusList !== 'object' || statusList === null || !isStatusBits(statusList.bits) || typeof statusList.lst !== 'string') {
      throw new Error('the status list token has no valid status_list claim');
    }
    const ttlSeconds = typeof payload.ttl === 'number' && payload.ttl > 0 ? payload.ttl : 60;
    return {
      bytes: decodeStatusList(statusList.lst),
      bits: statusList.bits,
      fetchedAtMs: settings.nowMs(),
      ttlMs: Math.min(ttlSeconds * 1000, settings.maxStalenessMs),
      expiresAtMs: typeof payload.exp === 'number' ? (payload.exp + settings.toleranceSeconds) * 1000 : Infinity,
    };
  }
}
