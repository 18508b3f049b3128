/**
 * createVerifier: offline verification of Inkan access tokens (RFC 9068) with revocation.
 *
 * Verification never calls the issuer on the hot path: discovery and the JWKS are read once (keys
 * imported once per kid), and revocation is a few Map lookups in a list that the push feed keeps
 * current. Rules, in order, each with its own error code:
 *   header parses → `alg` is not `none`/HMAC → `kid` names a published key (one refetch, rate
 *   limited) → `alg` is that key's algorithm (never the token's choice) → `typ` is `at+jwt` →
 *   signature → iss, aud, exp, nbf (jose, with the clock tolerance) → iat not in the future → the
 *   RFC 9068 claims have their types → the sender constraint (a DPoP-bound token needs a valid DPoP
 *   proof of its key, RFC 9449 §7; verifier/dpop-proof.ts) → not revoked.
 *
 * Revocation modes: `feed` (default with client credentials) subscribes to the revocation feed;
 * `status-list` (default without) consults the Token Status List of each token; `off` does neither.
 * When the feed is down the verifier falls back to the token's status list (refetched once its
 * `ttl` has passed) and, for tokens without one, trusts what it knows for `maxStalenessSeconds`
 * after the feed's last sign of life; after that it fails closed with ERR_REVOCATION_STALE.
 */
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { VerifierError, type VerifierErrorCode } from './errors.js';
import { FeedClient, type FeedEvent } from './feed-client.js';
import { KeyCache, type VerificationKey } from './key-cache.js';
import { RevocationList } from './revocation-list.js';
import { recordFromSecurityEvent } from './protocol/security-events.js';
import { decodeStatusList, isStatusBits, statusAt, type StatusBits } from './protocol/status-list-bits.js';
import { checkDpopProof } from './protocol/dpop-proof.js';

export type RevocationMode = 'feed' | 'status-list' | 'off';

export interface VerifierLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

/** A revocation event whose signing key is not available yet: the feed resumes from before it. */
class FeedKeyUnavailable extends Error {
  override readonly name = 'FeedKeyUnavailable';
}

export interface VerifierOptions {
  /** Exactly as in the tokens' `iss` and the discovery document. */
  readonly issuer: string;
  /** The `aud` this resource server accepts (any one of a list). */
  readonly audience: string | readonly string[];
  /** A client registered with the `revocations:read` scope: subscribes the verifier to the feed. */
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** Allowed clock skew for exp, nbf, iat; default 5. */
  readonly clockToleranceSeconds?: number;
  /** How long revocation data may be out of date before verification fails closed; default 60. */
  readonly maxStalenessSeconds?: number;
  /** Default: `feed` with client credentials, `status-list` without. */
  readonly revocation?: RevocationMode;
  /** Minimum time between JWKS refetches caused by unknown kids; default 10. */
  readonly jwksCooldownSeconds?: number;
  /** How long `verify` waits at start-up for the feed's first snapshot; default 5000. */
  readonly startupTimeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** Malformed feed events and background failures are reported here; default console.warn. */
  readonly logger?: VerifierLogger;
  /** Milliseconds since the epoch (tests move it); default Date.now. */
  readonly now?: () => number;
  /** How old a DPoP proof's `iat` may be; default 60. */
  readonly dpopProofMaxAgeSeconds?: number;
}

/** What a request presented besides the token: its DPoP proof (RFC 9449 §7), for `Authorization: DPoP`. */
export interface DpopPresentation {
  /** The `DPoP` request header: one proof JWT. */
  readonly proof: string;
  /** The request's HTTP method (`htm`). */
  readonly method: string;
  /** The request's URL as the client addressed it (`htu`; query and fragment are ignored). */
  readonly url: string;
}

export interface VerifyOptions {
  /**
   * Present for a request with `Authorization: DPoP`: the token must be DPoP-bound (`cnf.jkt`) and
   * the proof valid and of that key. Absent (a Bearer request), a DPoP-bound token is refused.
   */
  readonly dpop?: DpopPresentation;
}

/** The claims of a verified access token (RFC 9068 §2.2 and what Inkan adds). */
export interface AccessTokenClaims extends JWTPayload {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  readonly scope?: string;
  readonly sid?: string;
  /** The grant (one sign-in at one client) a person's token comes from: `grant` records cover it. */
  readonly grant_id?: string;
  readonly status?: { readonly status_list?: { readonly idx: number; readonly uri: string } };
  /** RFC 9449 §6: the thumbprint of the key a DPoP-bound token is bound to. */
  readonly cnf?: { readonly jkt?: string };
}

export interface VerifierStats {
  /** Every HTTP request this verifier made to the issuer (discovery, JWKS, token, feed, status lists). */
  readonly issuerRequests: number;
  readonly verified: number;
  readonly rejected: number;
  readonly revocationRecords: number;
  /** The feed cursor: the highest revocation record id applied. */
  readonly lastEventId: number;
  readonly feedConnected: boolean;
  readonly statusListsCached: number;
}

export interface Verifier {
  /**
   * Resolves to the token's claims or rejects with a VerifierError. A DPoP-bound token verifies
   * only with `options.dpop` holding a valid proof of its key (RFC 9449 §7).
   */
  verify(token: string, options?: VerifyOptions): Promise<AccessTokenClaims>;
  /** Resolves once discovery, keys and (with the feed) the first snapshot are in; verify awaits it too. */
  ready(): Promise<void>;
  stats(): VerifierStats;
  /** Stops the feed and timers; verify keeps working offline on what it has. */
  close(): Promise<void>;
}

interface CachedStatusList {
  readonly bytes: Uint8Array;
  readonly bits: StatusBits;
  readonly fetchedAtMs: number;
  readonly ttlMs: number;
  readonly expiresAtMs: number;
}

interface Discovery {
  readonly jwks_uri: string;
  readonly token_endpoint?: string;
  readonly revocation_feed_endpoint?: string;
}

const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);
const FEED_SCOPE = 'revocations:read';
const PURGE_INTERVAL_MS = 1000;
/** Bounds the in-memory DPoP jti cache; proofs are short-lived, so this is many requests a minute. */
const MAX_DPOP_JTIS = 100_000;

const consoleLogger: VerifierLogger = { warn: (details, message) => console.warn(`[inkan/verifier] ${message}`, details) };

function fail(code: VerifierErrorCode, message: string, cause?: unknown): never {
  throw new VerifierError(code, message, { cause });
}

function decodeHeader(token: string): Record<string, unknown> {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.indexOf('.', dot + 1) === -1) fail('ERR_TOKEN_MALFORMED', 'not a compact JWS');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
  } catch (error) {
    fail('ERR_TOKEN_MALFORMED', 'the JWS header is not JSON', error);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('ERR_TOKEN_MALFORMED', 'the JWS header is not an object');
  return header as Record<string, unknown>;
}

/** jose's errors, mapped to the SDK's codes. */
function fromJose(error: unknown): VerifierError {
  if (error instanceof VerifierError) return error;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new VerifierError('ERR_SIGNATURE_INVALID', 'the signature does not verify', { cause: error });
  if (error instanceof joseErrors.JWTExpired) return new VerifierError('ERR_TOKEN_EXPIRED', 'the token has expired', { cause: error });
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const byClaim: Record<string, [VerifierErrorCode, string]> = {
      iss: ['ERR_ISSUER_INVALID', 'the token is from another issuer'],
      aud: ['ERR_AUDIENCE_INVALID', 'the token is for another audience'],
      nbf: ['ERR_TOKEN_NOT_YET_VALID', 'the token is not valid yet'],
      iat: ['ERR_TOKEN_NOT_YET_VALID', 'the token was issued in the future'],
      typ: ['ERR_TYP_INVALID', 'the token type is not at+jwt'],
    };
    const [code, message] = byClaim[error.claim] ?? ['ERR_CLAIM_INVALID', `the ${error.claim} claim is invalid`];
    return new VerifierError(code, message, { cause: error });
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new VerifierError('ERR_ALG_NOT_ALLOWED', 'the algorithm is not allowed', { cause: error });
  return new VerifierError('ERR_TOKEN_MALFORMED', 'the token could not be parsed', { cause: error });
}

class InkanVerifier implements Verifier {
  private readonly issuer: string;
  private readonly audience: string | string[];
  private readonly toleranceSeconds: number;
  private readonly maxStalenessMs: number;
  private readonly mode: RevocationMode;
  private readonly fetch: typeof fetch;
  private readonly log: VerifierLogger;
  private readonly nowMs: () => number;
  private readonly customClock: boolean;

  private initialized = false;
  private initializing: Promise<void> | undefined;
  private discovery: Discovery | undefined;
  private keys: KeyCache | undefined;
  private feed: FeedClient | undefined;
  private feedUp = false;
  private feedLastContactMs: number | undefined;
  private feedToken: { value: string; expiresAtMs: number } | undefined;
  private firstSnapshot: (() => void) | undefined;
  private readonly list = new RevocationList();
  private readonly statusLists = new Map<string, CachedStatusList>();
  private readonly statusListFetches = new Map<string, Promise<CachedStatusList>>();
  private purgeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private counters = { issuerRequests: 0, verified: 0, rejected: 0 };
  /** DPoP proof jtis seen (per key), until their proof would be refused for its age: `jkt jti` → ms. */
  private readonly dpopJtis = new Map<string, number>();

  constructor(private readonly options: VerifierOptions) {
    this.issuer = options.issuer;
    this.audience = typeof options.audience === 'string' ? options.audience : [...options.audience];
    this.toleranceSeconds = options.clockToleranceSeconds ?? 5;
    this.maxStalenessMs = (options.maxStalenessSeconds ?? 60) * 1000;
    this.mode = options.revocation ?? (options.clientId !== undefined ? 'feed' : 'status-list');
    if (this.mode === 'feed' && (options.clientId === undefined || options.clientSecret === undefined)) {
      throw new TypeError('the revocation feed needs clientId and clientSecret');
    }
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.log = options.logger ?? consoleLogger;
    this.nowMs = options.now ?? Date.now;
    this.customClock = options.now !== undefined;
  }

  ready(): Promise<void> {
    this.initializing ??= this.initialize().then(
      () => {
        this.initialized = true;
      },
      (error: unknown) => {
        // The next call tries again: an issuer that was down at start-up must not poison the verifier.
        this.initializing = undefined;
        throw new VerifierError('ERR_ISSUER_UNAVAILABLE', `cannot read the issuer's metadata: ${(error as Error).message}`, { cause: error });
      },
    );
    return this.initializing;
  }

  async verify(token: string, options?: VerifyOptions): Promise<AccessTokenClaims> {
    try {
      if (!this.initialized) await this.ready();
      const claims = await this.verifySignedClaims(token);
      await this.checkSenderConstraint(token, claims, options?.dpop);
      if (this.mode !== 'off') {
        const kind = this.list.covers(claims);
        if (kind !== undefined) fail('ERR_TOKEN_REVOKED', `the token was revoked (${kind})`);
        if (!this.feedUp) await this.checkWithoutFeed(claims);
      }
      this.counters.verified += 1;
      return claims;
    } catch (error) {
      this.counters.rejected += 1;
      throw fromJose(error);
    }
  }

  stats(): VerifierStats {
    return {
      ...this.counters,
      revocationRecords: this.list.size,
      lastEventId: this.list.lastId,
      feedConnected: this.feedUp,
      statusListsCached: this.statusLists.size,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.purgeTimer);
    this.feedUp = false;
    this.firstSnapshot?.();
    await this.feed?.close();
  }

  // ---- verification ---------------------------------------------------------------------------

  private async verifySignedClaims(token: string): Promise<AccessTokenClaims> {
    if (typeof token !== 'string') fail('ERR_TOKEN_MALFORMED', 'the token is not a string');
    const header = decodeHeader(token);
    const key = await this.keyFor(header);
    if (typeof header.typ !== 'string' || !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())) {
      fail('ERR_TYP_INVALID', `the token type is ${JSON.stringify(header.typ)}, not at+jwt`);
    }
    const { payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      issuer: this.issuer,
      audience: this.audience,
      clockTolerance: this.toleranceSeconds,
      ...(this.customClock ? { currentDate: new Date(this.nowMs()) } : {}),
    });
    const nowSeconds = this.nowMs() / 1000;
    if (typeof payload.exp !== 'number') fail('ERR_CLAIM_INVALID', 'exp is required');
    if (typeof payload.iat !== 'number') fail('ERR_CLAIM_INVALID', 'iat is required');
    if (payload.iat > nowSeconds + this.toleranceSeconds) fail('ERR_TOKEN_NOT_YET_VALID', 'the token was issued in the future');
    if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || typeof payload.client_id !== 'string') {
      fail('ERR_CLAIM_INVALID', 'sub, jti and client_id are required strings');
    }
    if (payload.sid !== undefined && typeof payload.sid !== 'string') fail('ERR_CLAIM_INVALID', 'sid must be a string');
    if (payload.grant_id !== undefined && typeof payload.grant_id !== 'string') fail('ERR_CLAIM_INVALID', 'grant_id must be a string');
    return payload as AccessTokenClaims;
  }

  /**
   * RFC 9449 §7: a DPoP-bound token needs a valid proof of its key; an unbound one must not come
   * with the DPoP scheme. Proof jtis are single use per key in this verifier's memory (one process:
   * a replay to another instance of the resource server is not seen; the proof's short `iat`
   * window bounds that).
   */
  private async checkSenderConstraint(token: string, claims: AccessTokenClaims, dpop: DpopPresentation | undefined): Promise<void> {
    const jkt = claims.cnf?.jkt;
    if (dpop === undefined) {
      if (jkt !== undefined) fail('ERR_DPOP_PROOF_MISSING', 'the token is DPoP-bound: present it with the DPoP scheme and a proof');
      return;
    }
    if (typeof jkt !== 'string') fail('ERR_DPOP_NOT_BOUND', 'the token is not DPoP-bound: present it as a Bearer token');
    const maxAgeSeconds = this.options.dpopProofMaxAgeSeconds ?? 60;
    const nowMs = this.nowMs();
    const proof = await checkDpopProof(dpop.proof, {
      method: dpop.method,
      url: dpop.url,
      accessToken: token,
      nowSeconds: Math.floor(nowMs / 1000),
      maxAgeSeconds,
      futureSkewSeconds: this.toleranceSeconds,
    });
    if (proof.jkt !== jkt) fail('ERR_DPOP_KEY_MISMATCH', 'the DPoP proof is signed by another key than the one the token is bound to');
    const seen = `${jkt} ${proof.jti}`;
    const until = this.dpopJtis.get(seen);
    if (until !== undefined && until > nowMs) fail('ERR_DPOP_REPLAYED', 'the DPoP proof was already used');
    if (this.dpopJtis.size >= MAX_DPOP_JTIS) this.purgeDpopJtis(nowMs);
    if (this.dpopJtis.size >= MAX_DPOP_JTIS) this.dpopJtis.delete(this.dpopJtis.keys().next().value as string);
    this.dpopJtis.set(seen, (proof.iat + maxAgeSeconds + this.toleranceSeconds + 1) * 1000);
  }

  private purgeDpopJtis(nowMs: number): void {
    for (const [key, until] of this.dpopJtis) if (until <= nowMs) this.dpopJtis.delete(key);
  }

  /** The key the header's kid names, bound to its own algorithm; the header's alg must match it. */
  private async keyFor(header: Record<string, unknown>): Promise<VerificationKey> {
    const alg = header.alg;
    if (typeof alg !== 'string') fail('ERR_TOKEN_MALFORMED', 'the JWS header has no alg');
    if (alg === 'none' || alg.startsWith('HS')) fail('ERR_ALG_NOT_ALLOWED', `the algorithm ${alg} is never accepted`);
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '') fail('ERR_UNKNOWN_KID', 'the JWS header has no kid');
    const keys = this.keys!;
    const key = keys.get(kid) ?? (await this.refetchKeys(keys, kid));
    if (key === undefined) fail('ERR_UNKNOWN_KID', 'no published key has this kid');
    if (key.alg !== alg) fail('ERR_ALG_NOT_ALLOWED', `the key named by kid verifies ${key.alg}, not ${alg}`);
    return key;
  }

  /**
   * The key of a revocation event. Unlike a token's kid (which anyone can choose, hence the
   * refetch cooldown), the feed's kid comes from Inkan: an unknown one means Inkan rotated, so the
   * JWKS is refetched at once (single-flight), and a key that still cannot be had is a reason to
   * resume later, never to skip the event.
   */
  private async keyForSecurityEvent(header: Record<string, unknown>): Promise<VerificationKey> {
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '') fail('ERR_UNKNOWN_KID', 'the JWS header has no kid');
    const keys = this.keys!;
    if (keys.get(kid) === undefined) {
      try {
        await keys.refresh();
      } catch (error) {
        throw new FeedKeyUnavailable(`the JWKS could not be fetched for a revocation event: ${(error as Error).message}`);
      }
      if (keys.get(kid) === undefined) throw new FeedKeyUnavailable(`no published key has the revocation event's kid ${kid}`);
    }
    return this.keyFor(header);
  }

  private async refetchKeys(keys: KeyCache, kid: string): Promise<VerificationKey | undefined> {
    try {
      return await keys.getAfterRefetch(kid);
    } catch (error) {
      this.log.warn({ error: (error as Error).message }, 'JWKS refetch failed');
      return undefined;
    }
  }

  // ---- revocation without the feed --------------------------------------------------------------

  private async checkWithoutFeed(claims: AccessTokenClaims): Promise<void> {
    const nowMs = this.nowMs();
    const reference = claims.status?.status_list;
    if (reference !== undefined && typeof reference.uri === 'string' && typeof reference.idx === 'number') {
      const list = await this.currentStatusList(reference.uri, nowMs);
      if (list !== undefined) {
        let status: number;
        try {
          status = statusAt(list.bytes, list.bits, reference.idx);
        } catch (error) {
          fail('ERR_CLAIM_INVALID', 'the status index is outside its list', error);
        }
        if (status !== 0) fail('ERR_TOKEN_REVOKED', `the token's status is ${status} in its status list`);
        return;
      }
    } else if (this.mode === 'status-list') {
      return; // nothing to consult for a token without a status reference
    }
    if (this.mode === 'feed' && this.feedLastContactMs !== undefined && nowMs - this.feedLastContactMs <= this.maxStalenessMs) return;
    fail('ERR_REVOCATION_STALE', 'revocation data is older than maxStalenessSeconds (feed and status list unavailable)');
  }

  /** The list, refetched once its ttl has passed; an older copy serves while it is within the staleness bound. */
  private async currentStatusList(uri: string, nowMs: number): Promise<CachedStatusList | undefined> {
    const cached = this.statusLists.get(uri);
    if (cached !== undefined && nowMs - cached.fetchedAtMs < cached.ttlMs && nowMs < cached.expiresAtMs) return cached;
    let fetching = this.statusListFetches.get(uri);
    if (fetching === undefined) {
      fetching = this.fetchStatusList(uri).finally(() => this.statusListFetches.delete(uri));
      this.statusListFetches.set(uri, fetching);
    }
    try {
      const fresh = await fetching;
      this.statusLists.set(uri, fresh);
      return fresh;
    } catch (error) {
      this.log.warn({ uri, error: (error as Error).message }, 'status list fetch failed');
      if (cached !== undefined && nowMs - cached.fetchedAtMs <= this.maxStalenessMs && nowMs < cached.expiresAtMs) return cached;
      return undefined;
    }
  }

  private async fetchStatusList(uri: string): Promise<CachedStatusList> {
    // Only the issuer's own lists: the uri came from a verified token, but a verifier should not
    // follow a signed pointer to anywhere.
    if (!uri.startsWith(`${this.issuer}/`)) throw new Error('the status list is not under the issuer');
    this.counters.issuerRequests += 1;
    const response = await this.fetch(uri, { headers: { accept: 'application/statuslist+jwt' } });
    if (!response.ok) throw new Error(`the status list answered ${response.status}`);
    const jwt = (await response.text()).trim();
    const key = await this.keyFor(decodeHeader(jwt));
    const { payload } = await jwtVerify(jwt, key.key, {
      algorithms: [key.alg],
      typ: 'statuslist+jwt',
      issuer: this.issuer,
      subject: uri,
      clockTolerance: this.toleranceSeconds,
      ...(this.customClock ? { currentDate: new Date(this.nowMs()) } : {}),
    });
    const statusList = payload.status_list as { bits?: unknown; lst?: unknown } | undefined;
    if (typeof statusList !== 'object' || statusList === null || !isStatusBits(statusList.bits) || typeof statusList.lst !== 'string') {
      throw new Error('the status list token has no valid status_list claim');
    }
    const ttlSeconds = typeof payload.ttl === 'number' && payload.ttl > 0 ? payload.ttl : 60;
    const nowMs = this.nowMs();
    return {
      bytes: decodeStatusList(statusList.lst),
      bits: statusList.bits,
      fetchedAtMs: nowMs,
      ttlMs: Math.min(ttlSeconds * 1000, this.maxStalenessMs),
      expiresAtMs: typeof payload.exp === 'number' ? (payload.exp + this.toleranceSeconds) * 1000 : Infinity,
    };
  }

  // ---- start-up and the feed --------------------------------------------------------------------

  private async initialize(): Promise<void> {
    const issuerRequest = () => (this.counters.issuerRequests += 1);
    if (this.discovery === undefined) {
      issuerRequest();
      const response = await this.fetch(`${this.issuer}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`discovery answered ${response.status}`);
      const document = (await response.json()) as Record<string, unknown>;
      if (document.issuer !== this.issuer) throw new Error(`discovery names the issuer ${JSON.stringify(document.issuer)}`);
      if (typeof document.jwks_uri !== 'string') throw new Error('discovery has no jwks_uri');
      this.discovery = document as unknown as Discovery;
      this.keys = new KeyCache({
        jwksUri: this.discovery.jwks_uri,
        fetch: this.fetch,
        unknownKidCooldownMs: (this.options.jwksCooldownSeconds ?? 10) * 1000,
        defaultMaxAgeMs: 300_000,
        nowMs: this.nowMs,
        onRequest: issuerRequest,
        onError: (error) => this.log.warn({ error: (error as Error).message }, 'JWKS refresh failed'),
      });
    }
    await this.keys!.refresh();
    if (this.closed) return;
    this.purgeTimer ??= setInterval(() => {
      this.list.purgeExpired(Math.floor(this.nowMs() / 1000) - this.toleranceSeconds);
      this.purgeDpopJtis(this.nowMs());
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
    if (this.mode === 'feed' && this.feed === undefined) await this.startFeed();
  }

  private async startFeed(): Promise<void> {
    const endpoint = this.discovery?.revocation_feed_endpoint;
    if (typeof endpoint !== 'string' || typeof this.discovery?.token_endpoint !== 'string') {
      throw new Error('discovery lists no revocation_feed_endpoint or token_endpoint');
    }
    const firstSnapshot = new Promise<void>((resolve) => (this.firstSnapshot = resolve));
    this.feed = new FeedClient({
      endpoint,
      fetch: this.fetch,
      accessToken: (stale) => this.feedAccessToken(stale),
      lastEventId: () => this.list.lastId,
      onEvent: (event) => this.onFeedEvent(event),
      onContact: () => (this.feedLastContactMs = this.nowMs()),
      onConnected: () => (this.feedLastContactMs = this.nowMs()),
      onDisconnected: (reason) => {
        if (this.feedUp) this.log.warn({ error: (reason as Error)?.message }, 'revocation feed disconnected; reconnecting');
        this.feedUp = false;
      },
      onRequest: () => (this.counters.issuerRequests += 1),
      idleTimeoutMs: 45_000,
      minBackoffMs: 100,
      maxBackoffMs: 5_000,
    });
    // Start-up waits for the first snapshot, but not forever: an unreachable feed leaves the
    // verifier on its status-list fallback and staleness policy.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([firstSnapshot, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.startupTimeoutMs ?? 5000)))]);
    clearTimeout(timer);
  }

  private async onFeedEvent(event: FeedEvent): Promise<void> {
    switch (event.type) {
      case 'reset':
        this.list.clear();
        return;
      case 'ready':
        this.feedUp = true;
        this.firstSnapshot?.();
        return;
      case 'revocation': {
        let record;
        try {
          record = await this.readSecurityEvent(event.data);
        } catch (error) {
          // Applying a later event would move the resume cursor past this one and lose it for
          // good: when its key cannot be had yet, reconnect and resume from before it instead.
          if (error instanceof FeedKeyUnavailable) throw error;
          this.log.warn({ eventId: event.id, error: (error as Error).message }, 'ignored a malformed revocation event');
          return;
        }
        this.list.add(record);
        return;
      }
      default:
        return;
    }
  }

  private async readSecurityEvent(jwt: string) {
    const key = await this.keyForSecurityEvent(decodeHeader(jwt));
    const { payload } = await jwtVerify(jwt, key.key, {
      algorithms: [key.alg],
      typ: 'secevent+jwt',
      issuer: this.issuer,
      // A SET's iat is when the revocation happened; a replayed snapshot may be old.
      ...(this.customClock ? { currentDate: new Date(this.nowMs()) } : {}),
    });
    return recordFromSecurityEvent(payload, this.issuer);
  }

  private async feedAccessToken(stale?: string): Promise<string> {
    const nowMs = this.nowMs();
    if (this.feedToken !== undefined && this.feedToken.value !== stale && this.feedToken.expiresAtMs - 30_000 > nowMs) return this.feedToken.value;
    const form = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    this.counters.issuerRequests += 1;
    const response = await this.fetch(this.discovery!.token_endpoint!, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${form(this.options.clientId!)}:${form(this.options.clientSecret!)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: `grant_type=client_credentials&scope=${encodeURIComponent(FEED_SCOPE)}`,
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (!response.ok || typeof body.access_token !== 'string') {
      throw new Error(`the token endpoint answered ${response.status} ${typeof body.error === 'string' ? body.error : ''}`.trim());
    }
    const expiresInSeconds = typeof body.expires_in === 'number' ? body.expires_in : 60;
    this.feedToken = { value: body.access_token, expiresAtMs: nowMs + expiresInSeconds * 1000 };
    return body.access_token;
  }
}

export function createVerifier(options: VerifierOptions): Verifier {
  return new InkanVerifier(options);
}
