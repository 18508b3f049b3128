/**
 * The Shared Signals transmitter as the database keeps it (migration 0019, knex/shared-signals-store.ts):
 * the security-event log that streams read from, the streams themselves, and each stream's queue
 * of SETs not yet delivered or acknowledged. What the events mean and which ones a stream gets is
 * the domain's business (revocation/security-events.ts, shared-signals/).
 */

/** What happened to a person, as the log keeps it (the vocabulary is revocation/security-events.ts's). */
export interface SecurityEventRecord {
  /** Monotonic: streams resume after the last id they fanned out. */
  readonly id: number;
  readonly type: string;
  readonly userId: string;
  /** For an event about one session. */
  readonly sessionId: string | null;
  /** Shared by the events of one cause (SSF §4.1.8 `txn`): `users disable` is account-disabled and session-revoked. */
  readonly txn: string;
  readonly initiatingEntity: string;
  /** Event-specific members (credential-change: credential_type, change_type), JSON. */
  readonly details: Readonly<Record<string, string>> | null;
  readonly occurredAt: number;
}

export type NewSecurityEvent = Omit<SecurityEventRecord, 'id'>;

export interface SecurityEventStore {
  /** Appends events in order (ids assigned by the store, visible in id order) and returns them. */
  append(events: readonly NewSecurityEvent[]): Promise<SecurityEventRecord[]>;
  /** Events with id > `afterId`, in id order. */
  listSince(afterId: number, limit: number): Promise<SecurityEventRecord[]>;
  /** The highest id written so far (0 for none): where a new stream starts. */
  latestId(): Promise<number>;
  /** Deletes up to `limit` events that occurred before `before`; returns how many. */
  purgeBefore(before: number, limit: number): Promise<number>;
}

export type StreamStatus = 'enabled' | 'paused' | 'disabled';

export interface StreamRecord {
  /** The stream_id (SSF §8.1.1), random. */
  readonly id: string;
  /** The receiver: the client whose access token created it, and the SETs' `aud`. */
  readonly clientId: string;
  readonly deliveryMethod: string;
  /** Push: the receiver's URL. Poll: null (the transmitter's URL is derived from the id). */
  readonly endpointUrl: string | null;
  /** Push: the `Authorization` value to send, sealed (never in clear at rest). */
  readonly sealedAuthorizationHeader: string | null;
  readonly eventsRequested: readonly string[];
  readonly description: string | null;
  readonly status: StreamStatus;
  readonly statusReason: string | null;
  /** The last security-event id fanned out to the queue. */
  readonly cursor: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastVerificationAt: number | null;
  readonly pushFailures: number;
  readonly nextAttemptAt: number;
}

/** What a receiver may change (PATCH/PUT, SSF §8.1.1.3–4). */
export type StreamChanges = Partial<Pick<StreamRecord, 'deliveryMethod' | 'endpointUrl' | 'sealedAuthorizationHeader' | 'eventsRequested' | 'description'>>;

/** One SET waiting on a stream: its claims, signed at each delivery. */
export interface QueuedSet {
  readonly seq: number;
  readonly jti: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface StreamStore {
  insert(stream: StreamRecord): Promise<void>;
  find(id: string): Promise<StreamRecord | undefined>;
  /** The client's streams, oldest first. */
  listForClient(clientId: string): Promise<StreamRecord[]>;
  countForClient(clientId: string): Promise<number>;
  /** Returns false when there is no such stream. */
  update(id: string, changes: StreamChanges, at: number): Promise<boolean>;
  setStatus(id: string, status: StreamStatus, reason: string | null, at: number): Promise<boolean>;
  /** Deletes the stream and its queue; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Deletes every stream of a client (the client is deleted) and their queues; returns how many. */
  deleteForClient(clientId: string): Promise<number>;
  /** Records a verification request at `at` unless one came after `notAfter`; false when one did (rate limit). */
  markVerification(id: string, at: number, notAfter: number): Promise<boolean>;

  /**
   * Fan-out: queues `sets` and moves the cursor from `fromCursor` to `toCursor`, atomically and
   * only if the cursor is still `fromCursor` (another process did not get there first); returns
   * whether it did. A SET whose jti is queued already is skipped.
   */
  advance(id: string, fromCursor: number, toCursor: number, sets: readonly Omit<QueuedSet, 'seq'>[], at: number): Promise<boolean>;
  /** Queues one SET outside the fan-out (verification events). */
  enqueue(id: string, set: Omit<QueuedSet, 'seq'>, at: number): Promise<void>;
  /** The queued SETs, oldest first. */
  queued(id: string, limit: number): Promise<QueuedSet[]>;
  queuedCount(id: string): Promise<number>;
  /** Removes delivered or acknowledged SETs by jti; returns how many were queued. */
  remove(id: string, jtis: readonly string[]): Promise<number>;

  /** Push streams (those with an `endpointUrl`), enabled, with work possibly waiting (cursor behind `latestEventId`, or a queue) and not backing off at `now`. */
  pushDue(latestEventId: number, now: number, limit: number): Promise<StreamRecord[]>;
  /** Takes (or renews) the push lease of a stream until `until`, unless another owner holds it past `now`. */
  claimLease(id: string, owner: string, now: number, until: number): Promise<boolean>;
  releaseLease(id: string, owner: string): Promise<void>;
  /** Push back-off: `failures` consecutive failures, next attempt not before `nextAttemptAt` (0 failures: reset). */
  setPushState(id: string, failures: number, nextAttemptAt: number): Promise<void>;
}
