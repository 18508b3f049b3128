/**
 * JSON documents Inkan fetches from servers it does not run, to verify what their owners signed: a
 * private_key_jwt client's `jwks_uri` (clients/client-keys.ts), and a federated workload issuer's
 * discovery document and JWK Set (federation/issuer-keys.ts). One fetcher with one set of limits,
 * because every such URL is named by someone else and must not be able to make Inkan hang, read
 * without end, or be steered elsewhere.
 *
 * Rules:
 * - fetched with a timeout (FETCH_TIMEOUT_MS), a size limit (MAX_DOCUMENT_BYTES, the download
 *   stopped as soon as the body grows past it), and no redirects: a 3xx is a failure, so the
 *   document always comes from the URL that was registered or discovered;
 * - only a 200 whose body parses as JSON and passes the caller's `parse` is kept;
 * - kept for the response's `Cache-Control: max-age`, clamped to [MIN, MAX]_MAX_AGE_SECONDS
 *   (DEFAULT_MAX_AGE_SECONDS without one);
 * - `refresh` (a signature named a kid the cached set lacks: the owner rotated its key) refetches,
 *   at most once per UNKNOWN_KID_COOLDOWN_SECONDS per URL, so a stream of made-up kids cannot make
 *   Inkan hammer the owner's server;
 * - concurrent requests share one fetch; a failed fetch keeps serving the last good document (an
 *   owner whose server blips is not locked out), and with none the caller's request fails;
 * - a failure is remembered too: without a good document, the URL is not fetched again for
 *   FAILED_FETCH_COOLDOWN_SECONDS, so requests naming a broken URL (or one that hangs) cannot make
 *   Inkan fetch on every request.
 */
import { tracedFetch, type OutboundPurpose } from '../tracing/spans.js';
import type { Clock } from '../clock.js';

export const FETCH_TIMEOUT_MS = 5000;
export const MAX_DOCUMENT_BYTES = 64 * 1024;
export const DEFAULT_MAX_AGE_SECONDS = 300;
export const MIN_MAX_AGE_SECONDS = 30;
export const MAX_MAX_AGE_SECONDS = 3600;
export const UNKNOWN_KID_COOLDOWN_SECONDS = 10;
export const FAILED_FETCH_COOLDOWN_SECONDS = 10;
const MAX_CACHED_URLS = 10_000;

/** Why a document could not be had; its message names the document and the failed rule, never its content. */
export class RemoteDocumentError extends Error {
  override readonly name = 'RemoteDocumentError';
}

export interface RemoteDocumentsDeps {
  readonly clock: Clock;
  readonly fetch?: typeof fetch;
  readonly fetchTimeoutMs?: number;
}

export interface RemoteDocumentKind<T> {
  /** How messages name the URL: "the jwks_uri", "the discovery document". */
  readonly what: string;
  /** The Accept header. */
  readonly accept: string;
  /** The name of its fetch's span (tracing/spans.ts). */
  readonly purpose: OutboundPurpose;
  /** Validates the parsed JSON; throws RemoteDocumentError to refuse it. */
  parse(value: unknown): T;
}

export interface RemoteDocuments<T> {
  /** The document at `url`, from the cache while fresh; `refresh` as the header comment says. */
  get(url: string, options?: { readonly refresh?: boolean }): Promise<T>;
  /** How many fetches were started (tests and metrics). */
  fetchCount(): number;
}

interface Cached<T> {
  readonly value: T;
  readonly fetchedAt: number;
  readonly maxAgeSeconds: number;
}

/** Sets `key` in a per-URL map that never holds more than MAX_CACHED_URLS entries (the oldest goes). */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (!map.has(key) && map.size >= MAX_CACHED_URLS) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

function maxAgeOf(cacheControl: string | null): number {
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl ?? '');
  if (match === null) return DEFAULT_MAX_AGE_SECONDS;
  return Math.min(MAX_MAX_AGE_SECONDS, Math.max(MIN_MAX_AGE_SECONDS, Number(match[1])));
}

/** Reads at most MAX_DOCUMENT_BYTES, stopping the download as soon as the body grows past it. */
async function readLimited(response: Response, what: string): Promise<string> {
  const tooLarge = () => new RemoteDocumentError(`${what} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_DOCUMENT_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > MAX_DOCUMENT_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function remoteDocuments<T>(deps: RemoteDocumentsDeps, kind: RemoteDocumentKind<T>): RemoteDocuments<T> {
  // Each fetch is a client span of the request that needed the document (tracing/spans.ts).
  const doFetch = tracedFetch(kind.purpose, deps.fetch);
  const timeoutMs = deps.fetchTimeoutMs ?? FETCH_TIMEOUT_MS;
  const cache = new Map<string, Cached<T>>();
  const inFlight = new Map<string, Promise<Cached<T>>>();
  /** When an unknown kid last caused a refetch of each URL. */
  const lastRefresh = new Map<string, number>();
  /** The last failed fetch of each URL that has no good document, and when it failed. */
  const failures = new Map<string, { readonly at: number; readonly error: unknown }>();
  let fetches = 0;

  async function fetchDocument(url: string): Promise<Cached<T>> {
    fetches += 1;
    let response: Response;
    try {
      response = await doFetch(url, {
        headers: { accept: kind.accept },
        // A 3xx comes back as it is, and is refused below: never followed.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new RemoteDocumentError(`${kind.what} could not be fetched: ${(error as Error).message}`, { cause: error });
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      const redirect = response.status >= 300 && response.status < 400 ? ' (a redirect, which is not followed)' : '';
      throw new RemoteDocumentError(`${kind.what} answered ${response.status}${redirect}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readLimited(response, kind.what));
    } catch (error) {
      if (error instanceof RemoteDocumentError) throw error;
      throw new RemoteDocumentError(`${kind.what} did not answer with JSON`, { cause: error });
    }
    return { value: kind.parse(parsed), fetchedAt: deps.clock.nowSeconds(), maxAgeSeconds: maxAgeOf(response.headers.get('cache-control')) };
  }

  return {
    async get(url, options = {}) {
      const refresh = options.refresh === true;
      const now = deps.clock.nowSeconds();
      const cached = cache.get(url);
      const failed = cached === undefined ? failures.get(url) : undefined;
      if (failed !== undefined && now - failed.at < FAILED_FETCH_COOLDOWN_SECONDS) throw failed.error;
      if (cached !== undefined) {
        const fresh = now - cached.fetchedAt < cached.maxAgeSeconds;
        if (fresh && !refresh) return cached.value;
        if (refresh) {
          if (now - (lastRefresh.get(url) ?? -Infinity) < UNKNOWN_KID_COOLDOWN_SECONDS) return cached.value;
          remember(lastRefresh, url, now);
        }
      }
      let fetching = inFlight.get(url);
      if (fetching === undefined) {
        fetching = fetchDocument(url).finally(() => inFlight.delete(url));
        inFlight.set(url, fetching);
      }
      try {
        const document = await fetching;
        remember(cache, url, document);
        failures.delete(url);
        return document.value;
      } catch (error) {
        if (cached !== undefined) {
          // Keep the last good document, and do not retry before the cooldown.
          cache.set(url, { ...cached, fetchedAt: Math.max(cached.fetchedAt, now - cached.maxAgeSeconds + UNKNOWN_KID_COOLDOWN_SECONDS) });
          return cached.value;
        }
        remember(failures, url, { at: now, error });
        throw error;
      }
    },
    fetchCount: () => fetches,
  };
}
