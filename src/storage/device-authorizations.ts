/**
 * The device authorization grant as the database keeps it (RFC 8628; implemented in
 * knex/device-authorization-store.ts): one row per device authorization request, from the device
 * endpoint's answer until the device's token request consumes it (or it expires and housekeeping
 * removes it). Neither code is stored: the device code as its SHA-256 (256 random bits), the user
 * code as a keyed hash (it has only ~34 bits, so a plain hash could be reversed from a leaked
 * table). The person's decision is written by one conditional update (`decide`), and the token
 * request's use by another (`consume`), so each happens once whoever races.
 */

/** Where the request stands: waiting for the person, or their decision (RFC 8628 §3.5). */
export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied';

/** The login that approved a request: what the device's tokens are issued for. */
export interface DeviceApproval {
  readonly userId: string;
  readonly sessionId: string;
  readonly authTime: number;
  /** RFC 8176 methods of the login. */
  readonly authMethods: readonly string[];
  /** The `acr` the login gives. */
  readonly acr: string;
}

export interface DeviceAuthorizationRecord {
  /** Random; how the pending sign-in and the audit trail name the request (never a code). */
  readonly id: string;
  /** SHA-256 (hex) of the device code. */
  readonly deviceCodeHash: string;
  /** Keyed hash (hex) of the normalised user code. */
  readonly userCodeHash: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** RFC 8707 resources named at the device endpoint: the tokens' audience. */
  readonly resources: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The polling interval now in force (RFC 8628 §3.5: grows by 5 s with each slow_down). */
  readonly intervalSeconds: number;
  /** When the device last polled; null before its first token request. */
  readonly lastPolledAt: number | null;
  readonly status: DeviceAuthorizationStatus;
  /** Set with status `approved`. */
  readonly approval: DeviceApproval | null;
  readonly decidedAt: number | null;
  /** When the token request that received the tokens consumed it; null before. */
  readonly consumedAt: number | null;
  /** The grant its tokens started (the access tokens' `grant_id`, the refresh family's id). */
  readonly grantId: string | null;
}

export interface DeviceAuthorizationStore {
  insert(record: DeviceAuthorizationRecord): Promise<void>;
  find(id: string): Promise<DeviceAuthorizationRecord | undefined>;
  findByDeviceCode(deviceCodeHash: string): Promise<DeviceAuthorizationRecord | undefined>;
  findByUserCode(userCodeHash: string): Promise<DeviceAuthorizationRecord | undefined>;
  /**
   * Records a poll at `at` with the interval now in force, if no other poll was recorded since
   * `previousPollAt` (compare-and-set): false when another poll won the race.
   */
  recordPoll(id: string, previousPollAt: number | null, at: number, intervalSeconds: number): Promise<boolean>;
  /** The person's decision, once: true only for the update that found the request pending and not expired at `at`. */
  decide(id: string, decision: { readonly status: 'approved'; readonly approval: DeviceApproval } | { readonly status: 'denied' }, at: number): Promise<boolean>;
  /** Marks an approved request used by the token request that starts `grantId`: exactly one caller gets true. */
  consume(id: string, at: number, grantId: string): Promise<boolean>;
  /** Deletes up to `limit` requests that expired before `before`; returns how many. */
  purgeExpired(before: number, limit: number): Promise<number>;
}
