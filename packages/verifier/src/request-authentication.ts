/**
 * Authentication of a request at a resource server without any web framework: the request's
 * method, path and headers in; the verdict out, either the token's claims or the exact answer to
 * send (status, WWW-Authenticate, JSON body). The Koa and Express adapters (koa.ts, express.ts)
 * are thin layers over `createRequestAuthenticator`; any other framework, or node:http, calls it
 * directly. This module imports no framework, so neither does the SDK's main entry.
 *
 * Schemes: Bearer (RFC 6750: a bare challenge without credentials, 400 invalid_request for a
 * malformed header, 401 invalid_token, 403 insufficient_scope, 503 when revocation data is stale)
 * and DPoP (RFC 9449 §7: `Authorization: DPoP <token>` with exactly one `DPoP` proof header,
 * checked against the request's method and URL; a failure of the proof is answered with a `DPoP`
 * challenge, `invalid_dpop_proof` and the accepted algs; a DPoP-bound token sent as Bearer is
 * refused, `invalid_token`, ERR_DPOP_PROOF_MISSING).
 *
 * The URL of the DPoP `htu` check is the configured `origin` followed by the request's path, never
 * one built from the Host header (or X-Forwarded-Host behind a proxy): the client writes those, and
 * a proof made for another origin must not pass because the request says it is for that origin.
 * Without `origin`, the DPoP scheme is refused and Bearer works as before.
 *
 * Step-up (RFC 9470): with `acrValues`, the token's `acr` must be one of them, and with `maxAge`
 * its `auth_time` at most that many seconds old; otherwise the answer is 401 with
 * `error="insufficient_user_authentication"` and the `acr_values` (and `max_age`) the client
 * should ask the authorization server for (OIDC `acr_values` / `max_age`), in the challenge of the
 * request's scheme.
 */
import { VerifierError } from './errors.js';
import { DPOP_ALGS } from './protocol/dpop-proof.js';
import type { AccessTokenClaims, Verifier, VerifyOptions } from './verifier-types.js';

export interface AuthenticationOptions {
  /** The `realm` of the challenge; default `api`. */
  readonly realm?: string;
  /** Every one of these must be in the token's `scope` (403 insufficient_scope otherwise). */
  readonly requiredScopes?: readonly string[];
  /**
   * The origin clients address this resource server at (`https://api.example.com`: scheme, host
   * and port only), for the DPoP `htu` check. Needed to accept the DPoP scheme.
   */
  readonly origin?: string;
  /**
   * RFC 9470: the `acr` values this resource accepts (any one of them), in the order a client
   * should ask for them. A token without one of them is answered 401
   * `insufficient_user_authentication` with these as `acr_values`. With Inkan:
   * `['urn:inkan:acr:mfa', 'phr']` for a second factor or a passkey, `['phr']` for a passkey.
   */
  readonly acrValues?: readonly string[];
  /** RFC 9470: the most seconds since the person authenticated (`auth_time`); older is answered like `acrValues`. */
  readonly maxAge?: number;
  /** Milliseconds since the epoch, for `maxAge`; default Date.now. */
  readonly now?: () => number;
}

/** Request headers with lower-case names, as node:http gives them (`req.headers`). */
export type RequestHeaders = { readonly [name: string]: string | readonly string[] | undefined };

/** A request as `createRequestAuthenticator` needs it. */
export interface ResourceRequest {
  readonly method: string;
  /**
   * The request target as the client sent it: the path and any query (`req.url` of node:http,
   * `ctx.originalUrl` in Koa, `req.originalUrl` in Express). With the configured origin, the URL
   * the DPoP proof's `htu` must name (query aside).
   */
  readonly path: string;
  /** `authorization` and `dpop` are read. */
  readonly headers: RequestHeaders;
}

export type AuthenticationResult =
  | { readonly ok: true; readonly claims: AccessTokenClaims }
  | {
      readonly ok: false;
      readonly status: 400 | 401 | 403 | 503;
      /** WWW-Authenticate and Cache-Control: no-store. */
      readonly headers: Readonly<Record<string, string>>;
      readonly body: { readonly error: string; readonly error_description: string } | undefined;
      /** The verifier's code when the token or its proof was refused. */
      readonly code: VerifierError['code'] | undefined;
    };

export type RequestAuthenticator = (request: ResourceRequest) => Promise<AuthenticationResult>;

/** @deprecated Renamed AuthenticationOptions. */
export type BearerOptions = AuthenticationOptions;
/** @deprecated Renamed AuthenticationResult. */
export type BearerResult = AuthenticationResult;

type Refusal = Extract<AuthenticationResult, { ok: false }>;

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const DPOP_SCHEME = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The framework-free authenticator: options checked once (a bad `origin` throws a TypeError here,
 * at start-up, not per request), then one call per request.
 */
export function createRequestAuthenticator(verifier: Pick<Verifier, 'verify'>, options: AuthenticationOptions = {}): RequestAuthenticator {
  const origin = options.origin;
  if (origin !== undefined && !isOrigin(origin)) {
    throw new TypeError(`origin must be a scheme, host and optional port such as "https://api.example.com", got ${JSON.stringify(origin)}`);
  }
  return async (request) => {
    const authorization = headerValue(request.headers, 'authorization');
    // Without credentials (and for any non-DPoP scheme) the answer is Bearer's.
    if (!/^dpop /i.test(authorization)) return authenticate(verifier, authorization, options);
    const realm = options.realm ?? 'api';
    const match = DPOP_SCHEME.exec(authorization);
    if (match === null) return dpopRefusal(realm, 400, 'invalid_request', 'the Authorization header is not "DPoP <token>"', undefined);
    if (origin === undefined) {
      return dpopRefusal(realm, 401, 'invalid_dpop_proof', 'this resource server accepts no DPoP proofs: it has no configured origin', 'ERR_DPOP_PROOF_INVALID');
    }
    // Origin-form only: anything else ("*", an absolute URL) would not name a path of this origin.
    if (!request.path.startsWith('/')) {
      return dpopRefusal(realm, 401, 'invalid_dpop_proof', 'the request target is not a path of this resource server', 'ERR_DPOP_HTU_MISMATCH');
    }
    const proof = headerValue(request.headers, 'dpop');
    if (proof === '' || proof.includes(',')) {
      return dpopRefusal(realm, 401, 'invalid_dpop_proof', 'the request must carry exactly one DPoP proof', 'ERR_DPOP_PROOF_INVALID');
    }
    return verifyToken(verifier, match[1]!, { dpop: { proof: proof.trim(), method: request.method, url: `${origin}${request.path}` } }, options);
  };
}

/** Bearer only (RFC 6750), from the `Authorization` header alone; the DPoP scheme is a malformed header here. */
export async function authenticateBearer(verifier: Pick<Verifier, 'verify'>, authorization: string | undefined, options: AuthenticationOptions = {}): Promise<AuthenticationResult> {
  return authenticate(verifier, authorization ?? '', options);
}

/** One value per header: repeated headers are joined as node:http joins them, so a second proof shows as a comma. */
function headerValue(headers: RequestHeaders, name: string): string {
  const value = headers[name];
  if (value === undefined) return '';
  return typeof value === 'string' ? value : value.join(', ');
}

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

const quoted = (value: string) => `"${value.replace(/[\\"]/g, '\\$&')}"`;

function challenge(scheme: 'Bearer' | 'DPoP', realm: string, params: Record<string, string> = {}): string {
  const fields = [`realm=${quoted(realm)}`, ...Object.entries(params).map(([name, value]) => `${name}=${quoted(value)}`)];
  if (scheme === 'DPoP') fields.push(`algs=${quoted(DPOP_ALGS.join(' '))}`);
  return `${scheme} ${fields.join(', ')}`;
}

function refusal(scheme: 'Bearer' | 'DPoP', realm: string, status: Refusal['status'], error: string, description: string, code: Refusal['code'], params: Record<string, string> = {}): Refusal {
  return {
    ok: false,
    status,
    headers: { 'WWW-Authenticate': challenge(scheme, realm, { error, error_description: description, ...params }), 'Cache-Control': 'no-store' },
    body: { error, error_description: description },
    code,
  };
}

function dpopRefusal(realm: string, status: Refusal['status'], error: string, description: string, code: Refusal['code']): Refusal {
  return refusal('DPoP', realm, status, error, description, code);
}

async function authenticate(verifier: Pick<Verifier, 'verify'>, authorization: string, options: AuthenticationOptions): Promise<AuthenticationResult> {
  const realm = options.realm ?? 'api';
  if (authorization === '') {
    // §3.1: a request without credentials gets a bare challenge, no error code.
    return { ok: false, status: 401, headers: { 'WWW-Authenticate': challenge('Bearer', realm), 'Cache-Control': 'no-store' }, body: undefined, code: undefined };
  }
  const match = BEARER.exec(authorization);
  if (match === null) return refusal('Bearer', realm, 400, 'invalid_request', 'the Authorization header is not "Bearer <token>"', undefined);
  return verifyToken(verifier, match[1]!, undefined, options);
}

async function verifyToken(
  verifier: Pick<Verifier, 'verify'>,
  token: string,
  verifyOptions: VerifyOptions | undefined,
  options: AuthenticationOptions,
): Promise<AuthenticationResult> {
  const realm = options.realm ?? 'api';
  let claims: AccessTokenClaims;
  try {
    claims = verifyOptions === undefined ? await verifier.verify(token) : await verifier.verify(token, verifyOptions);
  } catch (error) {
    if (!(error instanceof VerifierError)) throw error;
    if (verifyOptions !== undefined || error.isDpopProofError) return dpopRefusal(realm, error.status, error.oauthError, error.message, error.code);
    return refusal('Bearer', realm, error.status, error.oauthError, error.message, error.code);
  }
  const granted = new Set(typeof claims.scope === 'string' ? claims.scope.split(' ') : []);
  const missing = (options.requiredScopes ?? []).filter((scope) => !granted.has(scope));
  if (missing.length > 0) {
    return refusal('Bearer', realm, 403, 'insufficient_scope', `the token lacks the scope ${missing.join(' ')}`, undefined, { scope: (options.requiredScopes ?? []).join(' ') });
  }
  const weak = insufficientAuthentication(claims, options);
  if (weak !== undefined) {
    const params: Record<string, string> = {};
    if (options.acrValues !== undefined && options.acrValues.length > 0) params.acr_values = options.acrValues.join(' ');
    if (options.maxAge !== undefined) params.max_age = String(options.maxAge);
    return refusal(verifyOptions === undefined ? 'Bearer' : 'DPoP', realm, 401, 'insufficient_user_authentication', weak, undefined, params);
  }
  return { ok: true, claims };
}

/** RFC 9470 §3: why the token's authentication is not enough, or undefined when it is. */
function insufficientAuthentication(claims: AccessTokenClaims, options: AuthenticationOptions): string | undefined {
  const accepted = options.acrValues ?? [];
  if (accepted.length > 0 && (typeof claims.acr !== 'string' || !accepted.includes(claims.acr))) {
    return `the person must authenticate with ${accepted.length === 1 ? `acr ${accepted[0]}` : `one of the acr values ${accepted.join(' ')}`}`;
  }
  if (options.maxAge !== undefined) {
    const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
    if (typeof claims.auth_time !== 'number' || nowSeconds - claims.auth_time > options.maxAge) {
      return `the person must have authenticated within the last ${options.maxAge} seconds`;
    }
  }
  return undefined;
}
