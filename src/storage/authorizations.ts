/**
 * The authorization-code flow as the database keeps it (implemented in knex/authorization-store.ts):
 * the scopes people allowed each client, the authorization requests waiting for a person to sign
 * in or consent, and the codes they end in (by SHA-256, consumed by a conditional update).
 */

/** The scopes a user allowed a client, remembered so the consent page is shown once. */
export interface ConsentStore {
  find(userId: string, clientId: string): Promise<readonly string[] | undefined>;
  /** Adds the scopes to what the user already allowed the client. */
  grant(userId: string, clientId: string, scopes: readonly string[], at: number): Promise<void>;
}

/** A validated authorization request waiting for the person to sign in and/or consent. */
export interface AuthorizationRequestRecord {
  /** Random, in the login/consent page URLs. */
  readonly id: string;
  /** SHA-256 of the browser-binding cookie: only the browser that started the request can finish it. */
  readonly browserHash: string;
  /** SHA-256 of the CSRF token of the page last rendered for it. */
  readonly csrfHash: string | null;
  readonly request: PendingAuthorization;
  /** Set once the person signed in during this request. */
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly authTime: number | null;
  readonly consented: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The login throttle's key of the address that started it (accounts/throttle.ts `addressKey`). */
  readonly addressKey: string | null;
  /**
   * A first factor verified in this request (a right password, or the methods of the session
   * that is stepping up) by this person, waiting for the second: no session exists for it yet.
   */
  readonly partialUserId?: string | null;
  readonly partialMethods?: readonly string[] | null;
}

/** The parameters of an authorization request after validation (never re-read from a form). */
export interface PendingAuthorization {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly state: string | null;
  readonly nonce: string | null;
  readonly codeChallenge: string | null;
  readonly prompt: readonly string[];
  readonly maxAgeSeconds: number | null;
  readonly loginHint: string | null;
  /** OIDC Core §3.1.2.1 `acr_values` that Inkan knows, in order of preference (absent: none). */
  readonly acrValues?: readonly string[];
  /** OIDC Core §3.1.2.1 `ui_locales`: well-formed BCP 47 tags in order of preference (absent: none given). */
  readonly uiLocales?: readonly string[];
  /**
   * Set for Inkan's own sign-ins (the account page): no client, no consent, no code; the
   * browser goes back to this path once signed in.
   */
  readonly returnTo?: string;
  /**
   * Set for an RFC 8628 device authorization (login/device-verification.ts): no redirect and no
   * code; Allow or Deny decides this device authorization request, then a page tells the person
   * to go back to their device.
   */
  readonly deviceAuthorizationId?: string;
}

export interface AuthorizationRequestStore {
  insert(record: AuthorizationRequestRecord): Promise<void>;
  find(id: string): Promise<AuthorizationRequestRecord | undefined>;
  update(
    id: string,
    changes: Partial<Pick<AuthorizationRequestRecord, 'csrfHash' | 'userId' | 'sessionId' | 'authTime' | 'consented' | 'partialUserId' | 'partialMethods'>>,
  ): Promise<void>;
  /** Returns false when the request was already gone: completing a request is decided by this. */
  delete(id: string): Promise<boolean>;
  /** Deletes up to `limit` requests that expired at or before `now`; returns how many. */
  purgeExpired(now: number, limit: number): Promise<number>;
  /** How many requests started from `addressKey` are still live (expire after `now`). */
  countLive(addressKey: string, now: number): Promise<number>;
}

export interface AuthorizationCodeRecord {
  /** SHA-256 of the code. */
  readonly codeHash: string;
  readonly clientId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly nonce: string | null;
  /** S256 challenge; null when the (confidential) client sent none. */
  readonly codeChallenge: string | null;
  readonly authTime: number;
  /** RFC 8176 methods of the login (absent: `pwd`, as before migration 0017). */
  readonly authMethods?: readonly string[];
  /** The `acr` decided for the login and this request (oauth/authentication-context.ts). */
  readonly acr?: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly consumedAt: number | null;
  /**
   * The grant its exchange started (the access tokens' `grant_id`, and the id of the refresh family
   * when one was started): chosen before the code is consumed and recorded in the same update, so a
   * replay revokes exactly what the code issued. Null until consumed.
   */
  readonly grantId: string | null;
  /** When the code was first presented again after its exchange (a replay). */
  readonly replayedAt: number | null;
}

export interface AuthorizationCodeStore {
  insert(code: AuthorizationCodeRecord): Promise<void>;
  find(codeHash: string): Promise<AuthorizationCodeRecord | undefined>;
  /**
   * Marks the code used and records the grant its exchange starts, in one conditional update:
   * exactly one caller gets true, and a later replay always finds the grant to revoke.
   */
  consume(codeHash: string, at: number, grantId: string): Promise<boolean>;
  /** Records a replay (the first one's time is kept) and returns the code as it is now. */
  markReplayed(codeHash: string, at: number): Promise<AuthorizationCodeRecord | undefined>;
  /** Deletes up to `limit` codes that expired before `before`; returns how many. */
  purgeExpired(before: number, limit: number): Promise<number>;
}
