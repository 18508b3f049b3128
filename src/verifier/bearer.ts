/**
 * Bearer authentication of a request (RFC 6750) without any web framework: the header in, either
 * the claims or the exact response to send (status, WWW-Authenticate, JSON body) out. The Koa
 * middleware is a thin layer over it; other frameworks call it directly.
 */
import { VerifierError } from './errors.js';
import type { AccessTokenClaims, Verifier } from './verifier.js';

export interface BearerOptions {
  /** The `realm` of the challenge. */
  readonly realm?: string;
  /** Every one of these must be in the token's `scope` (403 insufficient_scope otherwise). */
  readonly requiredScopes?: readonly string[];
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
  let claims: AccessTokenClaims;
  try {
    claims = await verifier.verify(match[1]!);
  } catch (error) {
    if (!(error instanceof VerifierError)) throw error;
    const description = error.message;
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
