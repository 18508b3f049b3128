/**
 * The SDK's public types: what `createVerifier` takes (VerifierOptions), what `verify` takes and
 * resolves to (VerifyOptions, AccessTokenClaims) and the Verifier it returns. Kept apart from the
 * code so that each part of the verifier, and the framework adapters, import the types without
 * importing one another.
 */
import type { JWTPayload } from 'jose';

/**
 * `feed` subscribes to the revocation feed (the default with client credentials); `status-list`
 * consults each token's Token Status List (the default without); `off` does neither.
 */
export type RevocationMode = 'feed' | 'status-list' | 'off';

export interface VerifierLogger {
  warn(details: Record<string, unknown>, message: string): void;
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
  /** How the person authenticated (Inkan: `urn:inkan:acr:pwd`, `urn:inkan:acr:mfa`, `phr`) and when. */
  readonly acr?: string;
  readonly amr?: readonly string[];
  readonly auth_time?: number;
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
