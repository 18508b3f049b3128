/**
 * Event-stream management (SSF 1.0 §8), without HTTP: a receiver, identified by the client_id of
 * its access token, creates, reads, updates (PATCH), replaces (PUT) and deletes its streams, reads
 * and sets their status, and asks for a verification event. A receiver sees only its own streams:
 * another receiver's stream_id is answered exactly like one that does not exist (404).
 *
 * Decisions the spec leaves to the transmitter:
 * - A receiver may hold up to MAX_STREAMS_PER_CLIENT streams; one more is 409 (§8.1.1.1).
 * - `aud` is the receiver's client_id; `events_supported` are the four event types Inkan emits;
 *   `events_delivered` is `events_requested` ∩ `events_supported` (no events requested, none
 *   delivered: only verification events, which every stream gets, §8.1.4).
 * - Push (RFC 8935): `endpoint_url` must be https (http only on a loopback host, for development);
 *   `authorization_header` is sealed at rest and never echoed back. Poll (RFC 8936, the default
 *   without `delivery`, §8.1.1.1): `endpoint_url` is the transmitter's, one per stream.
 * - `default_subjects` is ALL: every person's events go on every stream (no add/remove subject).
 * - Status: `paused` holds events (queued, sent once enabled again); `disabled` holds none: the
 *   queue is dropped, and re-enabling starts after the latest event (§8.1.2).
 * - A verification request may come every MIN_VERIFICATION_INTERVAL_SECONDS per stream; sooner is
 *   429 (§8.1.1 `min_verification_interval`).
 *
 * Errors are the statuses of §8.1.1.1–§8.1.4.2: 400 for a body that cannot be read or is
 * invalid (an unknown delivery method, a Transmitter-Supplied property that does not match), 404
 * for an unknown stream, 409, 429; 401 and 403 (token, scope) are the HTTP layer's.
 */
import crypto from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { KeySealer } from '../keys/encryption.js';
import { OAuthError } from '../oauth/errors.js';
import { LOOPBACK_HOSTS } from '../oauth/redirect-uri.js';
import type { SecurityEventStore, StreamChanges, StreamRecord, StreamStatus, StreamStore } from '../storage/shared-signals.js';
import { verificationSet } from './security-event-tokens.js';
import { DELIVERY_METHODS, EVENTS_SUPPORTED, POLL_DELIVERY } from './vocabulary.js';

export const MAX_STREAMS_PER_CLIENT = 10;
export const MIN_VERIFICATION_INTERVAL_SECONDS = 5;
const DESCRIPTION_MAX_LENGTH = 1000;
const AUTHORIZATION_HEADER_MAX_LENGTH = 4096;
const EVENTS_REQUESTED_MAX = 100;
const STATUSES: readonly StreamStatus[] = ['enabled', 'paused', 'disabled'];

export type Json = Readonly<Record<string, unknown>>;

export interface StreamManagerDeps {
  readonly stores: { readonly ssfStreams: StreamStore; readonly securityEvents: Pick<SecurityEventStore, 'latestId'> };
  readonly sealer: Pick<KeySealer, 'seal'>;
  readonly clock: Clock;
  readonly issuer: string;
  /** `<issuer><poll path>`: a poll stream's endpoint_url is this, `/`, its id. */
  readonly pollUrlPrefix: string;
  readonly audit: AuditLog;
  /** Told when a stream has new work at once (a verification event): the push worker looks now. */
  readonly wake?: () => void;
}

const invalid = (description: string) => new OAuthError('invalid_request', description);
const notFound = (streamId: string) => new OAuthError('invalid_request', `no stream with stream_id ${JSON.stringify(streamId)} for this receiver`, { status: 404 });

/** The stream's delivery as given by the receiver, checked; `authorizationHeader` in clear (sealed before storing). */
interface Delivery {
  readonly method: string;
  readonly endpointUrl: string | null;
  readonly authorizationHeader: string | null;
}

function parseDelivery(value: unknown): Delivery {
  // §8.1.1.1: without `delivery`, the method is poll.
  if (value === undefined) return { method: POLL_DELIVERY, endpointUrl: null, authorizationHeader: null };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('delivery must be an object');
  const delivery = value as Json;
  const method = delivery.method;
  if (typeof method !== 'string' || !(DELIVERY_METHODS as readonly string[]).includes(method)) {
    throw invalid(`delivery.method must be one of ${DELIVERY_METHODS.join(', ')}`);
  }
  if (method === POLL_DELIVERY) {
    if (delivery.endpoint_url !== undefined) throw invalid('the endpoint_url of a poll stream is the transmitter\'s: leave it out');
    if (delivery.authorization_header !== undefined) throw invalid('authorization_header is for push delivery only');
    return { method, endpointUrl: null, authorizationHeader: null };
  }
  const endpoint = delivery.endpoint_url;
  if (typeof endpoint !== 'string') throw invalid('delivery.endpoint_url is required for push delivery');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalid('delivery.endpoint_url must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw invalid('delivery.endpoint_url must use https (http only on a loopback host)');
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') throw invalid('delivery.endpoint_url must carry no credentials and no fragment');
  const header = delivery.authorization_header;
  if (header !== undefined && (typeof header !== 'string' || header === '' || header.length > AUTHORIZATION_HEADER_MAX_LENGTH || /[\r\n\0]/.test(header))) {
    throw invalid(`delivery.authorization_header must be a header value of at most ${AUTHORIZATION_HEADER_MAX_LENGTH} characters`);
  }
  return { method, endpointUrl: url.href, authorizationHeader: (header as string | undefined) ?? null };
}

function parseEventsRequested(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string') || value.length > EVENTS_REQUESTED_MAX) {
    throw invalid(`events_requested must be an array of at most ${EVENTS_REQUESTED_MAX} event-type URIs`);
  }
  return [...new Set(value as string[])];
}

function parseDescription(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid('description must be a string');
  // §8.1.1: the transmitter MAY truncate it.
  return value.slice(0, DESCRIPTION_MAX_LENGTH);
}

function requiredStreamId(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalid('stream_id is required');
  return value;
}

/** `events_requested` ∩ `events_supported`, in the supported order. */
export function eventsDelivered(stream: Pick<StreamRecord, 'eventsRequested'>): string[] {
  return EVENTS_SUPPORTED.filter((type) => stream.eventsRequested.includes(type));
}

const sameSet = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((item) => b.includes(item));

export class StreamManager {
  constructor(private readonly deps: StreamManagerDeps) {}

  /** The stream configuration object of §8.1.1. */
  describe(stream: StreamRecord): Json {
    const delivery = stream.endpointUrl === null
      ? { method: stream.deliveryMethod, endpoint_url: this.pollUrl(stream.id) }
      : { method: stream.deliveryMethod, endpoint_url: stream.endpointUrl };
    return {
      stream_id: stream.id,
      iss: this.deps.issuer,
      aud: stream.clientId,
      delivery,
      events_supported: EVENTS_SUPPORTED,
      events_requested: stream.eventsRequested,
      events_delivered: eventsDelivered(stream),
      min_verification_interval: MIN_VERIFICATION_INTERVAL_SECONDS,
      ...(stream.description === null ? {} : { description: stream.description }),
    };
  }

  pollUrl(streamId: string): string {
    return `${this.deps.pollUrlPrefix}/${encodeURIComponent(streamId)}`;
  }

  /** The stream, when it is this receiver's; 404 otherwise (another's is answered like a missing one). */
  async owned(clientId: string, streamId: string): Promise<StreamRecord> {
    const stream = await this.deps.stores.ssfStreams.find(streamId);
    if (stream === undefined || stream.clientId !== clientId) throw notFound(streamId);
    return stream;
  }

  /** §8.1.1.1: POST to the configuration endpoint. */
  async create(clientId: string, body: Json): Promise<Json> {
    const delivery = parseDelivery(body.delivery);
    const eventsRequested = parseEventsRequested(body.events_requested);
    const description = parseDescription(body.description);
    const streams = this.deps.stores.ssfStreams;
    if ((await streams.countForClient(clientId)) >= MAX_STREAMS_PER_CLIENT) {
      throw new OAuthError('invalid_request', `a receiver may hold at most ${MAX_STREAMS_PER_CLIENT} streams`, { status: 409 });
    }
    const now = this.deps.clock.nowSeconds();
    const id = crypto.randomBytes(16).toString('hex');
    const stream: StreamRecord = {
      id,
      clientId,
      deliveryMethod: delivery.method,
      endpointUrl: delivery.endpointUrl,
      sealedAuthorizationHeader: this.seal(id, delivery.authorizationHeader),
      eventsRequested,
      description,
      status: 'enabled',
      statusReason: null,
      // A new stream carries what happens from now on.
      cursor: await this.deps.stores.securityEvents.latestId(),
      createdAt: now,
      updatedAt: now,
      lastVerificationAt: null,
      pushFailures: 0,
      nextAttemptAt: 0,
    };
    await streams.insert(stream);
    this.audit(stream, 'created');
    return this.describe(stream);
  }

  /** §8.1.1.2: one stream, or every stream of the receiver when no stream_id is given. */
  async read(clientId: string, streamId: string | undefined): Promise<Json | Json[]> {
    if (streamId === undefined) return (await this.deps.stores.ssfStreams.listForClient(clientId)).map((stream) => this.describe(stream));
    return this.describe(await this.owned(clientId, streamId));
  }

  /** §8.1.1.3 (PATCH): the Receiver-Supplied properties present change; the others stay. */
  async update(clientId: string, body: Json): Promise<Json> {
    return this.change(clientId, body, 'updated');
  }

  /** §8.1.1.4 (PUT): every Receiver-Supplied property is replaced; a missing one is removed. */
  async replace(clientId: string, body: Json): Promise<Json> {
    return this.change(clientId, body, 'replaced');
  }

  /** §8.1.1.5. */
  async delete(clientId: string, streamId: string | undefined): Promise<void> {
    const stream = await this.owned(clientId, requiredStreamId(streamId));
    await this.deps.stores.ssfStreams.delete(stream.id);
    this.audit(stream, 'deleted');
  }

  /** §8.1.2.1. */
  async status(clientId: string, streamId: string | undefined): Promise<Json> {
    return statusOf(await this.owned(clientId, requiredStreamId(streamId)));
  }

  /** §8.1.2.2. */
  async setStatus(clientId: string, body: Json): Promise<Json> {
    const streamId = requiredStreamId(body.stream_id);
    const status = body.status;
    if (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status)) throw invalid(`status must be one of ${STATUSES.join(', ')}`);
    const reason = body.reason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > DESCRIPTION_MAX_LENGTH)) throw invalid('reason must be a short string');
    const stream = await this.owned(clientId, streamId);
    const streams = this.deps.stores.ssfStreams;
    const now = this.deps.clock.nowSeconds();
    if (status === 'disabled') {
      // A disabled stream holds nothing (§8.1.2.1).
      await streams.remove(stream.id, (await streams.queued(stream.id, Number.MAX_SAFE_INTEGER)).map((set) => set.jti));
    } else if (stream.status === 'disabled') {
      // Re-enabled (or paused) after being disabled: nothing from the disabled time is sent.
      await streams.advance(stream.id, stream.cursor, Math.max(stream.cursor, await this.deps.stores.securityEvents.latestId()), [], now);
    }
    await streams.setStatus(stream.id, status as StreamStatus, (reason as string | undefined) ?? null, now);
    const updated = { ...stream, status: status as StreamStatus, statusReason: (reason as string | undefined) ?? null };
    this.audit(updated, 'status');
    if (status === 'enabled') this.deps.wake?.();
    return statusOf(updated);
  }

  /** §8.1.4.2: queues a verification event on the stream; 429 when asked again too soon. */
  async verify(clientId: string, body: Json): Promise<void> {
    const streamId = requiredStreamId(body.stream_id);
    const state = body.state;
    if (state !== undefined && (typeof state !== 'string' || state.length > DESCRIPTION_MAX_LENGTH)) throw invalid('state must be a short string');
    const stream = await this.owned(clientId, streamId);
    const now = this.deps.clock.nowSeconds();
    if (!(await this.deps.stores.ssfStreams.markVerification(stream.id, now, now - MIN_VERIFICATION_INTERVAL_SECONDS))) {
      throw new OAuthError('temporarily_unavailable', `one verification request every ${MIN_VERIFICATION_INTERVAL_SECONDS} s per stream`, {
        status: 429,
        headers: { 'Retry-After': String(MIN_VERIFICATION_INTERVAL_SECONDS) },
      });
    }
    const set = verificationSet({ issuer: this.deps.issuer, audience: stream.clientId, nowSeconds: now }, stream.id, state as string | undefined);
    await this.deps.stores.ssfStreams.enqueue(stream.id, set, now);
    this.deps.wake?.();
  }

  private async change(clientId: string, body: Json, kind: 'updated' | 'replaced'): Promise<Json> {
    const stream = await this.owned(clientId, requiredStreamId(body.stream_id));
    this.checkTransmitterSupplied(stream, body);
    const replacing = kind === 'replaced';
    const changes: { -readonly [K in keyof StreamChanges]: StreamChanges[K] } = {};
    if (replacing || body.delivery !== undefined) {
      const delivery = parseDelivery(body.delivery);
      changes.deliveryMethod = delivery.method;
      changes.endpointUrl = delivery.endpointUrl;
      changes.sealedAuthorizationHeader = this.seal(stream.id, delivery.authorizationHeader);
    }
    if (replacing || body.events_requested !== undefined) changes.eventsRequested = parseEventsRequested(body.events_requested);
    if (replacing || body.description !== undefined) changes.description = parseDescription(body.description);
    await this.deps.stores.ssfStreams.update(stream.id, changes, this.deps.clock.nowSeconds());
    // A new delivery is tried at once, whatever the back-off of the old one.
    if (changes.deliveryMethod !== undefined && stream.pushFailures > 0) await this.deps.stores.ssfStreams.setPushState(stream.id, 0, 0);
    const updated = { ...stream, ...changes } as StreamRecord;
    this.audit(updated, kind);
    return this.describe(updated);
  }

  /** §8.1.1.3–4: Transmitter-Supplied properties may be sent back, but must match. */
  private checkTransmitterSupplied(stream: StreamRecord, body: Json): void {
    const current = this.describe(stream);
    const mismatch = (name: string) => invalid(`${name} is the transmitter's and does not match`);
    if (body.iss !== undefined && body.iss !== current.iss) throw mismatch('iss');
    if (body.aud !== undefined && !(body.aud === stream.clientId || (Array.isArray(body.aud) && sameSet(body.aud, [stream.clientId])))) throw mismatch('aud');
    for (const name of ['events_supported', 'events_delivered'] as const) {
      const value = body[name];
      if (value !== undefined && !(Array.isArray(value) && sameSet(value, current[name] as string[]))) throw mismatch(name);
    }
    if (body.min_verification_interval !== undefined && body.min_verification_interval !== MIN_VERIFICATION_INTERVAL_SECONDS) throw mismatch('min_verification_interval');
  }

  private seal(streamId: string, header: string | null): string | null {
    return header === null ? null : this.deps.sealer.seal(authorizationHeaderAad(streamId), Buffer.from(header, 'utf8'));
  }

  private audit(stream: StreamRecord, change: 'created' | 'updated' | 'replaced' | 'deleted' | 'status'): void {
    this.deps.audit.record(
      { event: 'ssf.stream_changed', stream_id: stream.id, client_id: stream.clientId, change, ...(change === 'status' ? { status: stream.status } : {}) },
      { type: 'client', id: stream.clientId },
    );
  }
}

/** The associated data binding a sealed authorization header to its stream (it cannot be moved to another). */
export function authorizationHeaderAad(streamId: string): string {
  return `ssf-stream:${streamId}`;
}

function statusOf(stream: StreamRecord): Json {
  return { stream_id: stream.id, status: stream.status, ...(stream.statusReason === null ? {} : { reason: stream.statusReason }) };
}

