/**
 * Bearer authentication of a request (RFC 6750) without any web framework: the header in, either
 * the claims or the exact response to send (status, WWW-Authenticate, JSON body) out. The Koa
 * middleware is a thin layer over it; other frameworks call it directly.
 *
 * `authenticateRequest` also takes the DPoP scheme (RFC 9449 §7): `Authorization: DPoP <token>`
 * with one `DPoP` proof header, checked against the request's method and URL; a failure of the
 * proof is answered with a `DPoP` challenge (`invalid_dpop_proof`, the accepted algs), and a
 * DPoP-bound token sent as Bearer is refused (`invalid_token`, ERR_DPOP_PROOF_MISSING).
 */
import { DPOP_ALGS } from './protocol/dpop-proof.js';
import { VerifierError } from './errors.js';
import type { AccessTokenClaims, Verifier, VerifyOptions } from './verifier-types.js';

export interface BearerOptions {
  /** The `realm` of the challenge. */
  readonly realm?: string;
  /** Every one of these must be in the token's `scope` (403 insufficient_scope otherwise). */
  readonly requiredScopes?: readonly string[];
  /**
   * The origin clients address this resource server at (`https://api.example.com`), for the DPoP
   * `htu` check. The Koa middleware needs it to accept the DPoP scheme: it never trusts the Host
   * header for it.
   */
  readonly origin?: string;
}

/** A request as `authenticateRequest` needs it. */
export interface ResourceRequest {
  /** The `Authorization` header (undefined or '' when absent). */
  readonly authorization: string | undefined;
  /** The `DPoP` header (undefined or '' when absent). */
  readonly dpop: string | undefined;
  readonly method: string;
  /**
   * The URL the client addressed (scheme, host, path; query and fragment are ignored), from the
   * resource server's configured origin; undefined when it has none, which refuses the DPoP scheme.
   */
  readonly url: string | undefined;
}

export type BearerResult =
  | { readonly ok: true; readonly claims: AccessTokenClaims }
  | {
      readonly ok: false;
      readonly status: 400 | 401 | 403 | 503;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: { readonly error: string; readonly error_description: string } | undefined;
      /** The verifier's code when the token itself was refused. */
      readonly code: VerifierError['code'] | undefined;
    };

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

const quoted = (value: string) => `"${value.replace(/[\\"]/g, '\\$&')}"`;

function challenge(realm: string, params: Record<string, string> = {}): string {
  return `Bearer ${[`realm=${quoted(realm)}`, ...Object.entries(params).map(([name, value]) => `${name}=${quoted(value)}`)].join(', ')}`;
}

export async function authenticateBearer(verifier: Pick<Verifier, 'verify'>, authorization: string | undefined, options: BearerOptions = {}): Promise<BearerResult> {
  return authenticate(verifier, authorization, options);
}

const DPOP_SCHEME = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;

function dpopChallenge(realm: string, params: Record<string, string> = {}): string {
  return `DPoP ${[`realm=${quoted(realm)}`, ...Object.entries(params).map(([name, value]) => `${name}=${quoted(value)}`), `algs=${quoted(DPOP_ALGS.join(' '))}`].join(', ')}`;
}

function dpopRefusal(realm: string, status: 400 | 401, error: string, description: string, code: VerifierError['code'] | undefined): BearerResult {
  return {
    ok: false,
    status,
    headers: { 'WWW-Authenticate': dpopChallenge(realm, { error, error_description: description }) },
    body: { error, error_description: description },
    code,
  };
}

/**
 * Bearer or DPoP (RFC 9449 §7): the token of `Authorization: Bearer|DPoP <token>`, and for the
 * DPoP scheme exactly one proof in the `DPoP` header, checked for this request's method and URL.
 */
export async function authenticateRequest(verifier: Pick<Verifier, 'verify'>, request: ResourceRequest, options: BearerOptions = {}): Promise<BearerResult> {
  const realm = options.realm ?? 'api';
  const authorization = request.authorization ?? '';
  // Without credentials (and for any non-DPoP scheme) the answer is authenticateBearer's.
  if (!/^dpop /i.test(authorization)) return authenticate(verifier, authorization, options);
  const match = DPOP_SCHEME.exec(authorization);
  if (match === null) return dpopRefusal(realm, 400, 'invalid_request', 'the Authorization header is not "DPoP <token>"', undefined);
  if (request.url === undefined) {
    return dpopRefusal(realm, 401, 'invalid_dpop_proof', 'this resource server accepts no DPoP proofs: it has no configured origin', 'ERR_DPOP_PROOF_INVALID');
  }
  const proof = request.dpop ?? '';
  if (proof === '' || proof.includes(',')) {
    return dpopRefusal(realm, 401, 'invalid_dpop_proof', 'the request must carry exactly one DPoP proof', 'ERR_DPOP_PROOF_INVALID');
  }
  return verifyToken(verifier, match[1]!, { dpop: { proof: proof.trim(), method: request.method, url: request.url } }, options);
}

async function authenticate(verifier: Pick<Verifier, 'verify'>, authorization: string | undefined, options: BearerOptions): Promise<BearerResult> {
  const realm = options.realm ?? 'api';
  if (authorization === undefined || authorization === '') {
    // §3.1: a request without credentials gets a bare challenge, no error code.
    return { ok: false, status: 401, headers: { 'WWW-Authenticate': challenge(realm) }, body: undefined, code: undefined };
  }
  const match = BEARER.exec(authorization);
  if (match === null) {
    const description = 'the Authorization header is not "Bearer <token>"';
    return {
      ok: false,
      status: 400,
      headers: { 'WWW-Authenticate': challenge(realm, { error: 'invalid_request', error_description: description }) },
      body: { error: 'invalid_request', error_description: description },
      code: undefined,
    };
  }
  return verifyToken(verifier, match[1]!, undefined, options);
}

async function verifyToken(
  verifier: Pick<Verifier, 'verify'>,
  token: string,
  verifyOptions: VerifyOptions | undefined,
  options: BearerOptions,
): Promise<BearerResult> {
  const realm = options.realm ?? 'api';
  let claims: AccessTokenClaims;
  try {
    claims = verifyOptions === undefined ? await verifier.verify(token) : await verifier.verify(token, verifyOptions);
  } catch (error) {
    if (!(error instanceof VerifierError)) throw error;
    const description = error.message;
    if (verifyOptions !== undefined || error.isDpopProofError) return dpopRefusal(realm, 401, error.oauthError, description, error.code);
    return {
      ok: false,
      status: error.status,
      headers: { 'WWW-Authenticate': challenge(realm, { error: error.oauthError, error_description: description }) },
      body: { error: error.oauthError, error_description: description },
      code: error.code,
    };
  }
  const granted = new Set(typeof claims.scope === 'string' ? claims.scope.split(' ') : []);
  const missing = (options.requiredScopes ?? []).filter((scope) => !granted.has(scope));
  if (missing.length > 0) {
    const description = `the token lacks the scope ${missing.join(' ')}`;
    return {
      ok: false,
      status: 403,
      headers: { 'WWW-Authenticate': challenge(realm, { error: 'insufficient_scope', error_description: description, scope: (options.requiredScopes ?? []).join(' ') }) },
      body: { error: 'insufficient_scope', error_description: description },
      code: undefined,
    };
  }
  return { ok: true, claims };
}
