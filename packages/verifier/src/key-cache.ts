/**
 * The issuer's signing keys as the verifier holds them: fetched from the JWKS, each key imported
 * once per `kid` (never per verification), and bound to the one algorithm it may verify.
 *
 * - An unknown `kid` triggers at most one refetch per cooldown (a flood of forged kids cannot make
 *   the verifier hammer the issuer), and concurrent callers share one in-flight fetch.
 * - The set is refreshed in the background once its `Cache-Control: max-age` has passed, so keys
 *   that left the JWKS (an emergency `keys revoke`) stop verifying without blocking any request.
 * - Symmetric keys are never imported: a public-key JWKS cannot turn into an HMAC secret.
 * - `keyFor(header)` picks the key a JWS names and binds it to that key's algorithm: the header's
 *   `alg` must match it, so the token never chooses how it is verified.
 */
import { importJWK, type JWK } from 'jose';
import { fail } from './errors.js';

/** Asymmetric JWS algorithms; nothing else is ever accepted. */
const ASYMMETRIC_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

export interface VerificationKey {
  readonly kid: string;
  /** The only algorithm this key verifies. */
  readonly alg: string;
  readonly key: Awaited<ReturnType<typeof importJWK>>;
}

export interface KeyCacheOptions {
  readonly jwksUri: string;
  readonly fetch: typeof fetch;
  /** Minimum time between two fetches caused by unknown kids. */
  readonly unknownKidCooldownMs: number;
  /** Used when the JWKS response has no usable max-age. */
  readonly defaultMaxAgeMs: number;
  readonly nowMs: () => number;
  /** Called once per HTTP request to the issuer (the verifier counts them). */
  readonly onRequest: () => void;
  readonly onError: (error: unknown) => void;
}

/** The algorithm a JWK may verify: its `alg` if it names an asymmetric one, else one derived from its type. */
export function algorithmOf(jwk: JWK): string | undefined {
  if (typeof jwk.alg === 'string') return ASYMMETRIC_ALGS.has(jwk.alg) ? jwk.alg : undefined;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[jwk.crv ?? ''];
  return undefined;
}

function maxAgeMs(cacheControl: string | null, fallbackMs: number): number {
  const match = cacheControl === null ? null : /(?:^|,)\s*max-age=(\d+)/i.exec(cacheControl);
  if (match === null) return fallbackMs;
  // Bounded: a zero max-age must not turn every verification into a refetch, nor a huge one pin
  // a revoked key for a day.
  return Math.min(Math.max(Number(match[1]) * 1000, 30_000), 3_600_000);
}

export class KeyCache {
  private keys = new Map<string, VerificationKey>();
  /** JSON of each imported JWK, so a refresh re-imports only what changed. */
  private imported = new Map<string, string>();
  private inflight: Promise<void> | undefined;
  private lastUnknownKidFetchMs = -Infinity;
  private staleAtMs = 0;
  private loaded = false;

  constructor(private readonly options: KeyCacheOptions) {}

  /** The hot path: a Map lookup; starts a background refresh when the set's max-age has passed. */
  get(kid: string): VerificationKey | undefined {
    const now = this.options.nowMs();
    if (now >= this.staleAtMs && this.inflight === undefined && this.loaded) {
      // A failing refresh must not be retried by every verification: try again after a cooldown.
      this.staleAtMs = now + this.options.unknownKidCooldownMs;
      this.refresh().catch(this.options.onError);
    }
    return this.keys.get(kid);
  }

  /**
   * The key the header's kid names, bound to its own algorithm; the header's alg must match it.
   * `none` and HMAC are refused before any lookup; an unknown kid gets one refetch (cooldown).
   */
  async keyFor(header: Record<string, unknown>): Promise<VerificationKey> {
    const alg = header.alg;
    if (typeof alg !== 'string') fail('ERR_TOKEN_MALFORMED', 'the JWS header has no alg');
    if (alg === 'none' || alg.startsWith('HS')) fail('ERR_ALG_NOT_ALLOWED', `the algorithm ${alg} is never accepted`);
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '') fail('ERR_UNKNOWN_KID', 'the JWS header has no kid');
    const key = this.get(kid) ?? (await this.getAfterRefetchOrUndefined(kid));
    if (key === undefined) fail('ERR_UNKNOWN_KID', 'no published key has this kid');
    if (key.alg !== alg) fail('ERR_ALG_NOT_ALLOWED', `the key named by kid verifies ${key.alg}, not ${alg}`);
    return key;
  }

  /** A failed refetch is reported and reads as "no such key": the token is refused, never the verifier broken. */
  private async getAfterRefetchOrUndefined(kid: string): Promise<VerificationKey | undefined> {
    try {
      return await this.getAfterRefetch(kid);
    } catch (error) {
      this.options.onError(error);
      return undefined;
    }
  }

  /** For a kid not in the cache: one refetch if the cooldown allows, then a second look. */
  async getAfterRefetch(kid: string): Promise<VerificationKey | undefined> {
    const now = this.options.nowMs();
    if (this.inflight === undefined) {
      if (now - this.lastUnknownKidFetchMs < this.options.unknownKidCooldownMs) return undefined;
      this.lastUnknownKidFetchMs = now;
    }
    await this.refresh();
    return this.keys.get(kid);
  }

  /** Single-flight: concurrent callers share one fetch. */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    this.options.onRequest();
    const response = await this.options.fetch(this.options.jwksUri, { headers: { accept: 'application/jwk-set+json, application/json' } });
    if (!response.ok) throw new Error(`the JWKS answered ${response.status}`);
    const body = (await response.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error('the JWKS has no "keys" array');
    const next = new Map<string, VerificationKey>();
    const nextImported = new Map<string, string>();
    for (const jwk of body.keys as JWK[]) {
      if (typeof jwk !== 'object' || jwk === null || typeof jwk.kid !== 'string') continue;
      if (jwk.use !== undefined && jwk.use !== 'sig') continue;
      const alg = algorithmOf(jwk);
      if (alg === undefined) continue;
      const json = JSON.stringify(jwk);
      const previous = this.keys.get(jwk.kid);
      if (previous !== undefined && this.imported.get(jwk.kid) === json) {
        next.set(jwk.kid, previous);
      } else {
        try {
          next.set(jwk.kid, { kid: jwk.kid, alg, key: await importJWK({ ...jwk, alg }, alg) });
        } catch (error) {
          this.options.onError(error);
          continue;
        }
      }
      nextImported.set(jwk.kid, json);
    }
    this.keys = next;
    this.imported = nextImported;
    this.loaded = true;
    this.staleAtMs = this.options.nowMs() + maxAgeMs(response.headers.get('cache-control'), this.options.defaultMaxAgeMs);
  }
}
