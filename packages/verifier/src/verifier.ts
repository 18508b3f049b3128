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
 *   proof of its key, RFC 9449 §7) → not revoked.
 *
 * This file is the sequence and the lifecycle (start-up, stats, close); each step is its own
 * module: access-token.ts (header and claims), key-cache.ts (keys), sender-constraint.ts and
 * dpop-replay-cache.ts (DPoP), revocation-list.ts (the records), feed-subscription.ts (the feed),
 * status-list-cache.ts and staleness-policy.ts (revocation without the feed).
 *
 * Revocation modes: `feed` (default with client credentials) subscribes to the revocation feed;
 * `status-list` (default without) consults the Token Status List of each token; `off` does neither.
 */
import { jwtVerify } from 'jose';
import { asVerifierError, checkAccessTokenClaims, checkAccessTokenType, decodeHeader } from './access-token.js';
import { feedEndpoints, fetchIssuerMetadata } from './discovery.js';
import { DpopReplayCache } from './dpop-replay-cache.js';
import { fail, VerifierError } from './errors.js';
import { FeedSubscription } from './feed-subscription.js';
import { KeyCache } from './key-cache.js';
import { RevocationList } from './revocation-list.js';
import { checkSenderConstraint } from './sender-constraint.js';
import { settingsFrom, type VerifierSettings } from './settings.js';
import { checkRevocationWithoutFeed } from './staleness-policy.js';
import { StatusListCache } from './status-list-cache.js';
import type { AccessTokenClaims, Verifier, VerifierOptions, VerifierStats, VerifyOptions } from './verifier-types.js';

const PURGE_INTERVAL_MS = 1000;
/** Used when the JWKS response has no usable max-age. */
const DEFAULT_JWKS_MAX_AGE_MS = 300_000;

class InkanVerifier implements Verifier {
  private initialized = false;
  private initializing: Promise<void> | undefined;
  private keys: KeyCache | undefined;
  private feed: FeedSubscription | undefined;
  private readonly list = new RevocationList();
  private readonly statusLists: StatusListCache;
  private readonly dpopProofs = new DpopReplayCache();
  private purgeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private counters = { issuerRequests: 0, verified: 0, rejected: 0 };
  private readonly countRequest = () => {
    this.counters.issuerRequests += 1;
  };

  constructor(private readonly settings: VerifierSettings) {
    // The status lists need the keys, which exist once discovery has answered.
    this.statusLists = new StatusListCache({ settings, keys: { keyFor: (header) => this.keys!.keyFor(header) }, onRequest: this.countRequest });
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
      await checkSenderConstraint(token, claims, options?.dpop, this.dpopProofs, this.settings);
      if (this.settings.mode !== 'off') {
        const kind = this.list.covers(claims);
        if (kind !== undefined) fail('ERR_TOKEN_REVOKED', `the token was revoked (${kind})`);
        if (this.feed?.up !== true) await checkRevocationWithoutFeed(claims, this.statusLists, this.feed, this.settings);
      }
      this.counters.verified += 1;
      return claims;
    } catch (error) {
      this.counters.rejected += 1;
      throw asVerifierError(error);
    }
  }

  stats(): VerifierStats {
    return {
      ...this.counters,
      revocationRecords: this.list.size,
      lastEventId: this.list.lastId,
      feedConnected: this.feed?.up === true,
      statusListsCached: this.statusLists.size,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.purgeTimer);
    await this.feed?.close();
  }

  private async verifySignedClaims(token: string): Promise<AccessTokenClaims> {
    if (typeof token !== 'string') fail('ERR_TOKEN_MALFORMED', 'the token is not a string');
    const header = decodeHeader(token);
    const key = await this.keys!.keyFor(header);
    checkAccessTokenType(header);
    const settings = this.settings;
    const { payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      issuer: settings.issuer,
      audience: settings.audience,
      clockTolerance: settings.toleranceSeconds,
      ...settings.joseClock(),
    });
    return checkAccessTokenClaims(payload, settings.nowMs() / 1000, settings.toleranceSeconds);
  }

  private async initialize(): Promise<void> {
    const settings = this.settings;
    if (this.keys === undefined) {
      this.countRequest();
      const metadata = await fetchIssuerMetadata(settings.issuer, settings.fetch);
      const endpoints = settings.feedCredentials === undefined ? undefined : feedEndpoints(metadata);
      const keys = new KeyCache({
        jwksUri: metadata.jwks_uri,
        fetch: settings.fetch,
        unknownKidCooldownMs: settings.jwksCooldownMs,
        defaultMaxAgeMs: DEFAULT_JWKS_MAX_AGE_MS,
        nowMs: settings.nowMs,
        onRequest: this.countRequest,
        onError: (error) => settings.log.warn({ error: (error as Error).message }, 'JWKS refresh failed'),
      });
      if (settings.feedCredentials !== undefined && endpoints !== undefined) {
        this.feed = new FeedSubscription({ settings, credentials: settings.feedCredentials, endpoints, list: this.list, keys, onRequest: this.countRequest });
      }
      this.keys = keys;
    }
    await this.keys.refresh();
    if (this.closed) return;
    this.purgeTimer ??= setInterval(() => {
      const nowMs = settings.nowMs();
      this.list.purgeExpired(Math.floor(nowMs / 1000) - settings.toleranceSeconds);
      this.dpopProofs.purge(nowMs);
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
    await this.feed?.start();
  }
}

export function createVerifier(options: VerifierOptions): Verifier {
  return new InkanVerifier(settingsFrom(options));
}
