/**
 * The logout token of OpenID Connect Back-Channel Logout 1.0 §2.4: a JWT with header
 * `typ: logout+jwt` (§2.4 recommends it, so that an ID token can never pass for one), signed by the
 * same signer as the client's ID tokens (the client's alg, a key of the JWKS); claims `iss`,
 * `aud` (the client_id), `iat`, `exp`, `jti`, `sub`, `sid` and `events` holding the member
 * `http://schemas.openid.net/event/backchannel-logout` (an empty object). Never `nonce` (§2.4:
 * it "MUST NOT" be there, so a logout token cannot be taken for an ID token).
 *
 * `exp` is two minutes after `iat` (§2.4 recommends "at most two minutes"); each attempt signs a
 * new token with a new `jti`, so a retry an hour later is still fresh, and a relying party that
 * remembers `jti`s (§2.6 step 8) does not take the retry for a replay.
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Keyring } from '../keys/keyring.js';
import type { ClientRecord } from '../storage/clients.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
export const LOGOUT_TOKEN_TTL_SECONDS = 120;

export interface LogoutTokenDeps {
  readonly keyring: Pick<Keyring, 'signer'>;
  readonly clock: Clock;
  readonly issuer: string;
}

export interface LogoutTokenSubject {
  readonly client: Pick<ClientRecord, 'clientId' | 'alg'>;
  readonly sub: string;
  readonly sid: string;
}

export function issueLogoutToken(deps: LogoutTokenDeps, subject: LogoutTokenSubject): string {
  const iat = deps.clock.nowSeconds();
  return deps.keyring.signer(subject.client.alg).sign('logout+jwt', {
    iss: deps.issuer,
    aud: subject.client.clientId,
    iat,
    exp: iat + LOGOUT_TOKEN_TTL_SECONDS,
    jti: crypto.randomUUID(),
    sub: subject.sub,
    sid: subject.sid,
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  });
}
