/**
 * The public keys of a private_key_jwt client: the JWK Set it registered (`--jwks-file`), or the
 * one it publishes at its `jwks_uri` (`--jwks-uri`), which Inkan fetches and caches here. This is
 * the `ClientKeySource` that oauth/client-assertion.ts asks for the keys an assertion may verify with.
 *
 * Rules for a `jwks_uri`:
 * - fetched with a timeout (FETCH_TIMEOUT_MS), no redirects, a size limit, and only a JSON
 *   `{"keys": [...]}` of public keys is accepted;
 * - kept for the response's `Cache-Control: max-age`, clamped to [MIN, MAX]_MAX_AGE_SECONDS
 *   (DEFAULT_MAX_AGE_SECONDS without one);
 * - an assertion naming a kid the cached set lacks (the client rotated its key) causes one refetch,
 *   and such refetches happen at most once per UNKNOWN_KID_COOLDOWN_SECONDS per URI, so a stream
 *   of made-up kids cannot make Inkan hammer the client's server;
 * - concurrent requests share one fetch; a failed fetch keeps serving the last good set (a client
 *   whose server blips is not locked out), and with none the authentication fails;
 * - a failure is remembered too: without a good set, the URI is not fetched again for
 *   FAILED_FETCH_COOLDOWN_SECONDS, so assertions naming a client whose jwks_uri is broken (or
 *   points at a server that hangs) cannot make Inkan fetch on every request.
 */
import type { JWK } from 'jose';
import type { Clock } from '../clock.js';
import type { ClientKeySource } from '../oauth/client-assertion.js';
import type { ClientRecord } from '../storage/clients.js';
import { tracedFetch } from '../tracing/spans.js';

export const FETCH_TIMEOUT_MS = 5000;
export const MAX_JWKS_BYTES = 64 * 1024;
export const DEFAULT_MAX_AGE_SECONDS = 300;
export const MIN_MAX_AGE_SECONDS = 30;
export const MAX_MAX_AGE_SECONDS = 3600;
export const UNKNOWN_KID_COOLDOWN_SECONDS = 10;
export const FAILED_FETCH_COOLDOWN_SECONDS = 10;
const MAX_CACHED_URIS = 10_000;

/** Sets `key` in a per-URI map that never holds more than MAX_CACHED_URIS entries (the oldest goes). */
function remember<T>(map: Map<string, T>, key: string, value: T): void {
  if (!map.has(key) && map.size >= MAX_CACHED_URIS) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

export interface ClientKeySourceDeps {
  readonly clock: Clock;
  readonly fetch?: typeof fetch;
  readonly fetchTimeoutMs?: number;
}

interface CachedSet {
  readonly keys: readonly JWK[];
  readonly fetchedAt: number;
  readonly maxAgeSeconds: number;
}

export class JwksFetchError extends Error {
  override readonly name = 'JwksFetchError';
}

function maxAgeOf(cacheControl: string | null): number {
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl ?? '');
  if (match === null) return DEFAULT_MAX_AGE_SECONDS;
  return Math.min(MAX_MAX_AGE_SECONDS, Math.max(MIN_MAX_AGE_SECONDS, Number(match[1])));
}

/** Only public keys, as objects: a set holding anything else is refused whole. */
export function publicKeysOf(value: unknown): JWK[] {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new JwksFetchError('the JWK Set has no "keys" array');
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || typeof (key as JWK).kty !== 'string') throw new JwksFetchError('a JWK Set entry is not a JWK');
    if ('d' in key || 'k' in key || 'p' in key) throw new JwksFetchError('the JWK Set holds private key material');
  }
  return keys as JWK[];
}

/** Reads at most MAX_JWKS_BYTES, stopping the download as soon as the body grows past it. */
async function readLimited(response: Response): Promise<string> {
  const tooLarge = () => new JwksFetchError(`the JWK Set is larger than ${MAX_JWKS_BYTES} bytes`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_JWKS_BYTES) throw tooLarge();
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > MAX_JWKS_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function clientKeySource(deps: ClientKeySourceDeps): ClientKeySource & { fetchCount(): number } {
  // Each fetch is a `GET jwks_uri` span of the request that needed the keys (tracing/spans.ts).
  const doFetch = tracedFetch('jwks_uri', deps.fetch);
  const timeoutMs = deps.fetchTimeoutMs ?? FETCH_TIMEOUT_MS;
  const cache = new Map<string, CachedSet>();
  const inFlight = new Map<string, Promise<CachedSet>>();
  /** When an unknown kid last caused a refetch of each URI. */
  const lastRefresh = new Map<string, number>();
  /** The last failed fetch of each URI that has no good set, and when it failed. */
  const failures = new Map<string, { readonly at: number; readonly error: unknown }>();
  let fetches = 0;

  async function fetchSet(uri: string): Promise<CachedSet> {
    fetches += 1;
    let response: Response;
    try {
      response = await doFetch(uri, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new JwksFetchError(`the jwks_uri could not be fetched: ${(error as Error).message}`, { cause: error });
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new JwksFetchError(`the jwks_uri answered ${response.status}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readLimited(response));
    } catch (error) {
      if (error instanceof JwksFetchError) throw error;
      throw new JwksFetchError('the jwks_uri did not answer with JSON', { cause: error });
    }
    return { keys: publicKeysOf(parsed), fetchedAt: deps.clock.nowSeconds(), maxAgeSeconds: maxAgeOf(response.headers.get('cache-control')) };
  }

  async function fromUri(uri: string, refresh: boolean): Promise<readonly JWK[]> {
    const now = deps.clock.nowSeconds();
    const cached = cache.get(uri);
    const failed = cached === undefined ? failures.get(uri) : undefined;
    if (failed !== undefined && now - failed.at < FAILED_FETCH_COOLDOWN_SECONDS) throw failed.error;
    if (cached !== undefined) {
      const fresh = now - cached.fetchedAt < cached.maxAgeSeconds;
      if (fresh && !refresh) return cached.keys;
      if (refresh) {
        if (now - (lastRefresh.get(uri) ?? -Infinity) < UNKNOWN_KID_COOLDOWN_SECONDS) return cached.keys;
        remember(lastRefresh, uri, now);
      }
    }
    let fetching = inFlight.get(uri);
    if (fetching === undefined) {
      fetching = fetchSet(uri).finally(() => inFlight.delete(uri));
      inFlight.set(uri, fetching);
    }
    try {
      const set = await fetching;
      remember(cache, uri, set);
      failures.delete(uri);
      return set.keys;
    } catch (error) {
      if (cached !== undefined) {
        // Keep the last good set, and do not retry before the cooldown.
        cache.set(uri, { ...cached, fetchedAt: Math.max(cached.fetchedAt, now - cached.maxAgeSeconds + UNKNOWN_KID_COOLDOWN_SECONDS) });
        return cached.keys;
      }
      remember(failures, uri, { at: now, error });
      throw error;
    }
  }

  return {
    async keys(client, options = {}) {
      if (client.jwks !== null) return client.jwks.keys;
      if (client.jwksUri != null) return fromUri(client.jwksUri, options.refresh === true);
      return [];
    },
    fetchCount: () => fetches,
  };
}
