/**
 * One check of a DPoP proof JWT (RFC 9449 §4.3), shared by the SDK (resource servers) and Inkan's
 * own endpoints (token, userinfo), so both apply exactly the same rules. It imports jose and Node
 * built-ins only, like the rest of the SDK. What it checks, each failure with its own code:
 *  - the header: `typ: dpop+jwt`, an asymmetric `alg` of DPOP_ALGS (never `none`, never HS*), and
 *    a public `jwk` (no private members) that fits the alg;
 *  - the signature with that jwk;
 *  - `jti` present; `htm` = the request method; `htu` = the request URL without query and
 *    fragment (compared after URL normalisation);
 *  - `iat` no older than `maxAgeSeconds` and no further in the future than `futureSkewSeconds`;
 *  - `ath` = base64url(SHA-256(access token)) when the request carries an access token.
 * What it leaves to the caller: replay of the `jti` (the caller's store), nonces (the server's
 * policy) and whether the thumbprint it returns is the one the token is bound to.
 */
import crypto from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { fail } from '../errors.js';
import { ASYMMETRIC_ALGS, keyTypeFitsAlg, MAX_CLIENT_JTI_LENGTH } from './asymmetric-algs.js';

export const DPOP_ALGS = ASYMMETRIC_ALGS;
const MAX_PROOF_LENGTH = 8 * 1024;
const MAX_JTI_LENGTH = MAX_CLIENT_JTI_LENGTH;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth', 'priv'];

export interface DpopProofCheck {
  /** The HTTP method of the request (`htm`). */
  readonly method: string;
  /** The URL the request was sent to; query and fragment are ignored (`htu`). */
  readonly url: string;
  /** The access token the request presents; `ath` must then be its hash. */
  readonly accessToken?: string;
  readonly nowSeconds: number;
  readonly maxAgeSeconds: number;
  readonly futureSkewSeconds: number;
}

export interface CheckedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's public key: what `cnf.jkt` must equal. */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  readonly nonce: string | undefined;
}

/** scheme://host[:port]/path of a URL, normalised, without query and fragment. */
export function htuOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

export function accessTokenHash(accessToken: string): string {
  return crypto.createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

export async function checkDpopProof(proof: string, check: DpopProofCheck): Promise<CheckedDpopProof> {
  if (typeof proof !== 'string' || proof === '' || proof.length > MAX_PROOF_LENGTH) fail('ERR_DPOP_PROOF_INVALID', 'the DPoP proof is not a JWT');
  let header;
  try {
    header = decodeProtectedHeader(proof);
  } catch (error) {
    fail('ERR_DPOP_PROOF_INVALID', 'the DPoP proof is not a JWS', error);
  }
  if (header.typ !== 'dpop+jwt') fail('ERR_DPOP_PROOF_INVALID', 'the DPoP proof typ is not dpop+jwt');
  const alg = header.alg;
  if (typeof alg !== 'string' || !(DPOP_ALGS as readonly string[]).includes(alg)) {
    fail('ERR_DPOP_PROOF_INVALID', `the DPoP proof alg ${JSON.stringify(alg)} is not allowed; allowed: ${DPOP_ALGS.join(', ')}`);
  }
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) fail('ERR_DPOP_PROOF_INVALID', 'the DPoP proof header has no jwk');
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) fail('ERR_DPOP_PROOF_INVALID', 'the DPoP proof jwk holds private key material');
  if (!keyTypeFitsAlg(jwk, alg)) fail('ERR_DPOP_PROOF_INVALID', `the DPoP proof jwk is not a key for ${alg}`);

  let payload: JWTPayload;
  try {
    const { kty, crv, x, y, n, e } = jwk;
    const key = await importJWK({ kty, crv, x, y, n, e } as JWK, alg);
    ({ payload } = await jwtVerify(proof, key, { algorithms: [alg], typ: 'dpop+jwt', currentDate: new Date(check.nowSeconds * 1000) }));
  } catch (error) {
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) fail('ERR_DPOP_PROOF_INVALID', 'the DPoP proof signature does not verify', error);
    fail('ERR_DPOP_PROOF_INVALID', 'the DPoP proof is invalid', error);
  }

  const { jti, htm, htu, iat, ath, nonce } = payload as JWTPayload & { htm?: unknown; htu?: unknown; ath?: unknown; nonce?: unknown };
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) fail('ERR_DPOP_PROOF_INVALID', 'the DPoP proof has no valid jti');
  if (htm !== check.method) fail('ERR_DPOP_HTM_MISMATCH', `the DPoP proof htm is not ${check.method}`);
  if (typeof htu !== 'string' || htuOf(htu) === undefined || htuOf(htu) !== htuOf(check.url)) fail('ERR_DPOP_HTU_MISMATCH', 'the DPoP proof htu is not the URL of this request');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) fail('ERR_DPOP_PROOF_INVALID', 'the DPoP proof has no iat');
  if (iat < check.nowSeconds - check.maxAgeSeconds) fail('ERR_DPOP_IAT_INVALID', 'the DPoP proof is too old');
  if (iat > check.nowSeconds + check.futureSkewSeconds) fail('ERR_DPOP_IAT_INVALID', 'the DPoP proof was issued in the future');
  if (check.accessToken !== undefined) {
    if (typeof ath !== 'string') fail('ERR_DPOP_ATH_MISMATCH', 'the DPoP proof has no ath for the access token');
    const expected = accessTokenHash(check.accessToken);
    if (ath.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(ath), Buffer.from(expected))) {
      fail('ERR_DPOP_ATH_MISMATCH', 'the DPoP proof ath is not the hash of the access token');
    }
  }
  if (nonce !== undefined && typeof nonce !== 'string') fail('ERR_DPOP_PROOF_INVALID', 'the DPoP proof nonce is not a string');
  return { jkt: await calculateJwkThumbprint(jwk, 'sha256'), jti, iat, nonce };
}
