/**
 * DPoP (RFC 9449 §7) where Inkan itself is the resource server (userinfo): reading
 * `Authorization: DPoP <token>`, and enforcing a token's sender constraint once the token itself
 * verified (http/bearer.ts does that part):
 *  - a DPoP-bound token (`cnf.jkt`) must come with the DPoP scheme and a proof (oauth/dpop.ts:
 *    signature, htm, htu, iat window, `ath` = hash of this token, jti replay) whose key is the one
 *    the token is bound to; as a Bearer token it is refused (401 invalid_token);
 *  - the DPoP scheme with an unbound token is refused too (a proof adds nothing to it, and
 *    accepting it would hide a client that lost its binding);
 *  - failures of a request that used the DPoP scheme answer with a `DPoP` challenge listing the
 *    accepted algs (§7.1): 401 `invalid_dpop_proof` for the proof, 401 `invalid_token` for the token.
 * Userinfo requires no nonce (oauth/dpop.ts explains the nonce policy).
 */
import type { Context } from 'koa';
import { DPOP_ALGS, type Dpop } from '../oauth/dpop.js';
import { OAuthError, type OAuthErrorCode } from '../oauth/errors.js';
import { dpopProofHeader } from './dpop-header.js';

export type AuthorizationScheme = 'Bearer' | 'DPoP';

const DPOP_HEADER = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;
const quote = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

/** An error answered with a `DPoP` challenge (RFC 9449 §7.1); 401 unless said otherwise. */
export function dpopChallenge(code: OAuthErrorCode, description: string, options: { readonly status?: number; readonly cause?: unknown } = {}): OAuthError {
  const challenge = `DPoP realm="inkan", error=${quote(code)}, error_description=${quote(description)}, algs="${DPOP_ALGS.join(' ')}"`;
  return new OAuthError(code, description, {
    status: options.status ?? 401,
    headers: { 'WWW-Authenticate': challenge },
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}

/** The token of an `Authorization: DPoP <token>` header; undefined for any other header (or none). */
export function dpopSchemeToken(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  if (!/^dpop /i.test(header)) return undefined;
  const match = DPOP_HEADER.exec(header);
  if (match === null) throw dpopChallenge('invalid_request', 'the Authorization header must be "DPoP <token>"', { status: 400 });
  return match[1];
}

/** Runs a token check of a DPoP-scheme request, turning its Bearer challenge into a DPoP one. */
export async function withDpopChallenge<T>(scheme: AuthorizationScheme, check: () => Promise<T>): Promise<T> {
  if (scheme === 'Bearer') return check();
  try {
    return await check();
  } catch (error) {
    if (error instanceof OAuthError && error.headers['WWW-Authenticate']?.startsWith('Bearer ')) {
      throw dpopChallenge(error.code, error.description, { status: error.status, cause: error });
    }
    throw error;
  }
}

const boundKey = (claims: object): unknown => ((claims as { cnf?: unknown }).cnf as { jkt?: unknown } | undefined)?.jkt;

/** For an endpoint that takes Bearer tokens only (the revocation feed): a DPoP-bound token is refused. */
export function refuseBoundAsBearer(claims: object): void {
  if (boundKey(claims) !== undefined) throw dpopChallenge('invalid_token', 'this access token is DPoP-bound: present it with the DPoP scheme and a proof');
}

export interface SenderConstraintDeps {
  readonly dpop: Dpop;
  readonly issuer: string;
}

/** The token verified; now the proof of possession its `cnf.jkt` asks for (or its absence). */
export async function checkSenderConstraint(
  deps: SenderConstraintDeps,
  ctx: Context,
  presented: { readonly token: string; readonly scheme: AuthorizationScheme },
  claims: object,
): Promise<void> {
  if (presented.scheme === 'Bearer') return refuseBoundAsBearer(claims);
  const jkt = boundKey(claims);
  if (typeof jkt !== 'string') throw dpopChallenge('invalid_token', 'this access token is not DPoP-bound: present it as a Bearer token');
  let proof: string | undefined;
  try {
    proof = dpopProofHeader(ctx.headers);
  } catch (error) {
    throw dpopChallenge('invalid_dpop_proof', (error as OAuthError).description, { cause: error });
  }
  if (proof === undefined) throw dpopChallenge('invalid_dpop_proof', 'a DPoP proof is required with the DPoP scheme');
  let verified;
  try {
    verified = await deps.dpop.verify({ proof, method: ctx.method, url: `${deps.issuer}${ctx.path}`, accessToken: presented.token, requireNonce: false });
  } catch (error) {
    if (error instanceof OAuthError) throw dpopChallenge(error.code, error.description, { cause: error });
    throw error;
  }
  if (verified.jkt !== jkt) throw dpopChallenge('invalid_dpop_proof', 'the DPoP proof is signed by another key than the one the access token is bound to');
}
