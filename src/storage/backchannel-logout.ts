/**
 * OpenID Connect Back-Channel Logout 1.0 as the database keeps it (migration 0016, implemented in
 * knex/backchannel-logout-store.ts): which clients each login session signed in to, and the
 * durable queue of logout tokens owed to them (the outbox of the domain in backchannel-logout/).
 *
 * A queued delivery names the client, the session (`sid`) and the person (`sub`); the token itself
 * is signed at each attempt, so no signed token (nor any secret) is ever stored. Deliveries are
 * claimed with a lease: a claimed row is invisible to every other claim until its lease ends, so
 * processes sharing the database never send one row at the same time, and a process that dies
 * mid-delivery leaves its rows to be claimed again when the lease runs out.
 */

export interface SessionClientStore {
  /** Notes that `sessionId` signed in to `clientId` (a code was issued); a second call changes nothing. */
  record(sessionId: string, clientId: string, at: number): Promise<void>;
  /** The clients the session signed in to, in client_id order. */
  clientsOf(sessionId: string): Promise<string[]>;
}

export interface LogoutDelivery {
  readonly id: number;
  readonly clientId: string;
  readonly sessionId: string;
  readonly sub: string;
  readonly createdAt: number;
  /** Attempts made so far, this one included once claimed. */
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
}

export interface EnqueuedLogouts {
  readonly queued: number;
  /** The deliveries refused because their client already had `maxPendingPerClient` waiting. */
  readonly dropped: readonly { readonly clientId: string; readonly sessionId: string }[];
}

export interface LogoutDeliveryStore {
  /**
   * One transaction: a delivery for every client that each of `sessionIds` signed in to and that
   * has a back-channel logout URI, due at `now`; a client already holding `maxPendingPerClient`
   * deliveries gets no more (they are returned as dropped).
   */
  enqueueForSessions(sessionIds: readonly string[], now: number, maxPendingPerClient: number): Promise<EnqueuedLogouts>;
  /**
   * The same for one grant (a refresh family): one delivery to the family's client for the
   * family's session, when that client has a logout URI. Nothing when no such family exists.
   */
  enqueueForGrant(grantId: string, now: number, maxPendingPerClient: number): Promise<EnqueuedLogouts>;
  /**
   * Claims up to `limit` deliveries due at `now` whose lease is free (never held, or ended), oldest
   * due first: each gets `leaseToken`, a lease until `leaseUntil` and one more attempt. Returns
   * the claimed rows; a row claimed by another process at the same time is in one answer only.
   */
  claim(leaseToken: string, now: number, leaseUntil: number, limit: number): Promise<LogoutDelivery[]>;
  /** Deletes a delivery (delivered, or given up) if `leaseToken` still holds it; false otherwise. */
  finish(id: number, leaseToken: string): Promise<boolean>;
  /** Releases a failed delivery for another attempt at `nextAttemptAt`, if `leaseToken` still holds it. */
  retryAt(id: number, leaseToken: string, nextAttemptAt: number, error: string): Promise<boolean>;
  /** How many deliveries are waiting (claimed ones included). */
  depth(): Promise<number>;
  /** How many deliveries are waiting for the client. */
  pendingFor(clientId: string): Promise<number>;
}
