/**
 * ID tokens per OpenID Connect Core §2 and §3.1.3.6: iss, sub, aud (the client), exp, iat,
 * auth_time, amr, acr, nonce, sid, at_hash, signed with the client's alg (header `typ: JWT`).
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Keyring } from '../keys/keyring.js';
import type { ClientRecord } from '../storage/clients.js';
import type { SigningAlg } from '../storage/keys.js';

export interface IdTokenDeps {
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly issuer: string;
  readonly idTokenTtlSeconds: number;
}

export interface IdTokenRequest {
  readonly client: ClientRecord;
  readonly subject: string;
  readonly authTime: number;
  /** RFC 8176 values (login/… decides them through oauth/authentication-context.ts). */
  readonly amr?: readonly string[] | undefined;
  readonly acr?: string | undefined;
  readonly nonce?: string | undefined;
  readonly sid?: string | undefined;
  /** When given, `at_hash` is computed over it. */
  readonly accessToken?: string | undefined;
  /** Scope-dependent claims (profile, email), already selected. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** The hash each alg's JWS uses (RFC 7518 §3.3, §3.4; SHA-512 is Ed25519's, RFC 8032 §5.1). */
const JWS_HASH: Readonly<Record<SigningAlg, string>> = { RS256: 'sha256', ES256: 'sha256', EdDSA: 'sha512' };

/**
 * §3.1.3.6: the left half of the hash of the access token, with the hash of the JWS alg: SHA-256
 * for RS256 and ES256, SHA-512 for EdDSA over Ed25519 (as the certified client libraries compute it).
 */
export function tokenHash(alg: SigningAlg, token: string): string {
  const digest = crypto.createHash(JWS_HASH[alg]).update(token, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export function issueIdToken(deps: IdTokenDeps, request: IdTokenRequest): string {
  const iat = deps.clock.nowSeconds();
  const signer = deps.keyring.signer(request.client.alg);
  // As for access tokens (access-token.ts): undefined members are left out, the registered claims
  // override the person's, and Object.assign keeps the object quick to serialise.
  const registered = {
    iss: deps.issuer,
    sub: request.subject,
    aud: request.client.clientId,
    exp: iat + deps.idTokenTtlSeconds,
    iat,
    auth_time: request.authTime,
    amr: request.amr,
    acr: request.acr,
    nonce: request.nonce,
    sid: request.sid,
    at_hash: request.accessToken === undefined ? undefined : tokenHash(request.client.alg, request.accessToken),
  };
  return signer.sign('JWT', Object.assign({}, request.claims, registered));
}
