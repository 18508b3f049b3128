/**
 * The verifier's subscription to Inkan's revocation feed: a client-credentials token with the
 * `revocations:read` scope (renewed before it expires or after a 401), the stream (feed-client.ts
 * reads it), and each event turned into a record of the verifier's RevocationList once its
 * Security Event Token verifies against the issuer's keys (`typ: secevent+jwt`, `iss`).
 *
 * What it tells the rest of the verifier: `up` (the backlog has been received and the stream is
 * connected: the list is current) and, through `heardFromWithin`, how recently the feed last showed
 * a sign of life (an event, a heartbeat, a connect) — the staleness policy's input.
 *
 * A malformed or forged event is logged and skipped. An event whose signing key is not published
 * yet is never skipped: applying a later one would move the resume cursor past it for good, so the
 * stream is dropped and resumes from before it.
 */
import { jwtVerify } from 'jose';
import { decodeHeader } from './access-token.js';
import { fail } from './errors.js';
import { FeedClient, type FeedEvent } from './feed-client.js';
import type { KeyCache, VerificationKey } from './key-cache.js';
import { recordFromSecurityEvent } from './protocol/security-events.js';
import type { RevocationRecord } from './protocol/revocation-records.js';
import type { RevocationList } from './revocation-list.js';
import type { VerifierSettings } from './settings.js';

const FEED_SCOPE = 'revocations:read';

/** A revocation event whose signing key is not available yet: the feed resumes from before it. */
class FeedKeyUnavailable extends Error {
  override readonly name = 'FeedKeyUnavailable';
}

export interface FeedSubscriptionOptions {
  readonly settings: Pick<VerifierSettings, 'issuer' | 'fetch' | 'log' | 'nowMs' | 'joseClock' | 'startupTimeoutMs'>;
  readonly credentials: { readonly clientId: string; readonly clientSecret: string };
  readonly endpoints: { readonly feed: string; readonly token: string };
  readonly list: RevocationList;
  readonly keys: Pick<KeyCache, 'get' | 'refresh' | 'keyFor'>;
  /** Called once per HTTP request to the issuer (the verifier counts them). */
  readonly onRequest: () => void;
}

export class FeedSubscription {
  /** The list is current: the backlog arrived and the stream is connected. Read on every verification. */
  up = false;
  private lastContactMs: number | undefined;
  private token: { value: string; expiresAtMs: number } | undefined;
  private firstSnapshot: (() => void) | undefined;
  private client: FeedClient | undefined;

  constructor(private readonly options: FeedSubscriptionOptions) {}

  /**
   * Connects (once: later calls return at once), and waits for the first snapshot, but not
   * forever: an unreachable feed leaves the verifier on its status-list fallback and staleness policy.
   */
  async start(): Promise<void> {
    if (this.client !== undefined) return;
    const settings = this.options.settings;
    const firstSnapshot = new Promise<void>((resolve) => (this.firstSnapshot = resolve));
    this.client = new FeedClient({
      endpoint: this.options.endpoints.feed,
      fetch: settings.fetch,
      accessToken: (stale) => this.accessToken(stale),
      lastEventId: () => this.options.list.lastId,
      onEvent: (event) => this.onEvent(event),
      onContact: () => (this.lastContactMs = settings.nowMs()),
      onConnected: () => (this.lastContactMs = settings.nowMs()),
      onDisconnected: (reason) => {
        if (this.up) settings.log.warn({ error: (reason as Error)?.message }, 'revocation feed disconnected; reconnecting');
        this.up = false;
      },
      onRequest: this.options.onRequest,
      idleTimeoutMs: 45_000,
      minBackoffMs: 100,
      maxBackoffMs: 5_000,
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([firstSnapshot, new Promise<void>((resolve) => (timer = setTimeout(resolve, settings.startupTimeoutMs)))]);
    clearTimeout(timer);
  }

  /** Whether the feed showed a sign of life within the last `windowMs`. */
  heardFromWithin(windowMs: number, nowMs: number): boolean {
    return this.lastContactMs !== undefined && nowMs - this.lastContactMs <= windowMs;
  }

  async close(): Promise<void> {
    this.up = false;
    this.firstSnapshot?.();
    await this.client?.close();
  }

  private async onEvent(event: FeedEvent): Promise<void> {
    switch (event.type) {
      case 'reset':
        this.options.list.clear();
        return;
      case 'ready':
        this.up = true;
        this.firstSnapshot?.();
        return;
      case 'revocation': {
        let record: RevocationRecord;
        try {
          record = await this.readSecurityEvent(event.data);
        } catch (error) {
          if (error instanceof FeedKeyUnavailable) throw error;
          this.options.settings.log.warn({ eventId: event.id, error: (error as Error).message }, 'ignored a malformed revocation event');
          return;
        }
        this.options.list.add(record);
        return;
      }
      default:
        return;
    }
  }

  private async readSecurityEvent(jwt: string): Promise<RevocationRecord> {
    const settings = this.options.settings;
    const key = await this.keyForSecurityEvent(decodeHeader(jwt));
    const { payload } = await jwtVerify(jwt, key.key, {
      algorithms: [key.alg],
      typ: 'secevent+jwt',
      issuer: settings.issuer,
      // A SET's iat is when the revocation happened; a replayed snapshot may be old.
      ...settings.joseClock(),
    });
    return recordFromSecurityEvent(payload, settings.issuer);
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
    const keys = this.options.keys;
    if (keys.get(kid) === undefined) {
      try {
        await keys.refresh();
      } catch (error) {
        throw new FeedKeyUnavailable(`the JWKS could not be fetched for a revocation event: ${(error as Error).message}`);
      }
      if (keys.get(kid) === undefined) throw new FeedKeyUnavailable(`no published key has the revocation event's kid ${kid}`);
    }
    return keys.keyFor(header);
  }

  private async accessToken(stale?: string): Promise<string> {
    const nowMs = this.options.settings.nowMs();
    if (this.token !== undefined && this.token.value !== stale && this.token.expiresAtMs - 30_000 > nowMs) return this.token.value;
    const { clientId, clientSecret } = this.options.credentials;
    const form = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    this.options.onRequest();
    const response = await this.options.settings.fetch(this.options.endpoints.token, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${form(clientId)}:${form(clientSecret)}`).toString('base64')}`,
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
    this.token = { value: body.access_token, expiresAtMs: nowMs + expiresInSeconds * 1000 };
    return body.access_token;
  }
}
