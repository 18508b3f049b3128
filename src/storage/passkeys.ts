/**
 * Passkeys as the database keeps them (migration 0018, implemented in knex/passkey-store.ts): the
 * WebAuthn credentials people registered, and the challenges of ceremonies in progress.
 *
 * A credential row holds only public material (WebAuthn Level 3 §7.1 step 27: the credential id,
 * its public key, its signature counter, its transports and its backup flags), so nothing in it
 * is a secret. A challenge is a random value the browser signs over; it is not a bearer secret
 * either (only the authenticator's private key turns it into a valid answer), so it is kept as is.
 */

/** One registered WebAuthn credential (a passkey) of a person. */
export interface PasskeyRecord {
  /** The credential id, base64url (WebAuthn §4 "Credential ID": at most 1023 bytes). */
  readonly id: string;
  readonly userId: string;
  /** The COSE public key, base64url. */
  readonly publicKey: string;
  /** The authenticator's signature counter as last seen (WebAuthn §6.1.1); 0 when it keeps none. */
  readonly counter: number;
  /** Hints for the browser (`internal`, `hybrid`, `usb`, …), as the authenticator reported them. */
  readonly transports: readonly string[];
  /** BE flag (WebAuthn §6.1): the key may be synced to other devices (a "synced passkey"). */
  readonly backupEligible: boolean;
  /** BS flag, as last seen: the key is currently backed up. */
  readonly backedUp: boolean;
  /** The person's name for it ("Laptop", "Phone"). */
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/** `PasskeyStore.insert` refuses a credential id that is already registered (to anyone). */
export class DuplicatePasskeyError extends Error {
  override readonly name = 'DuplicatePasskeyError';
}

/** What a successful assertion changes on its credential. */
export interface PasskeyUse {
  /** The counter the assertion was checked against: the update happens only if it is still stored. */
  readonly previousCounter: number;
  readonly counter: number;
  readonly backedUp: boolean;
  readonly at: number;
}

export interface PasskeyStore {
  /** Rejects with `DuplicatePasskeyError` when the credential id is registered already. */
  insert(passkey: PasskeyRecord): Promise<void>;
  find(id: string): Promise<PasskeyRecord | undefined>;
  /** The person's passkeys, oldest first. */
  listForUser(userId: string): Promise<PasskeyRecord[]>;
  /** False when the person has no passkey of that id. */
  rename(userId: string, id: string, name: string): Promise<boolean>;
  /**
   * Records an accepted assertion as a compare-and-set on the counter: false (and nothing
   * changed) when the stored counter is no longer `previousCounter` or the passkey is gone, so of
   * two concurrent assertions carrying one counter value only one is accepted.
   */
  recordUse(id: string, use: PasskeyUse): Promise<boolean>;
  /** False when the person has no passkey of that id. */
  remove(userId: string, id: string): Promise<boolean>;
  /** Removes every passkey of the person (an operator's MFA reset); returns how many went. */
  removeAllForUser(userId: string): Promise<number>;
}

export type WebAuthnCeremony = 'registration' | 'authentication';

/** The challenge of one WebAuthn ceremony in progress. */
export interface WebAuthnChallengeRecord {
  /**
   * What the ceremony is bound to, e.g. a pending sign-in or a login session; one challenge per
   * binding (a new one replaces the previous), so a page reloaded many times keeps one row.
   */
  readonly binding: string;
  /** base64url, as sent in the options. */
  readonly challenge: string;
  readonly ceremony: WebAuthnCeremony;
  /** The person registering a passkey; null for a sign-in (the passkey names the person). */
  readonly userId: string | null;
  readonly expiresAt: number;
}

export interface WebAuthnChallengeStore {
  /** Stores the challenge, replacing any other of the same binding. */
  put(challenge: WebAuthnChallengeRecord): Promise<void>;
  /**
   * Removes and returns the binding's challenge, expired or not (the caller checks `expiresAt`):
   * of concurrent calls for one binding exactly one gets it, so a challenge is answered once.
   */
  take(binding: string): Promise<WebAuthnChallengeRecord | undefined>;
  /** Deletes up to `limit` challenges whose `expiresAt` passed; returns how many went. */
  purge(now: number, limit: number): Promise<number>;
}
