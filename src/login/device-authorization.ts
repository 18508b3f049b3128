/**
 * RFC 8628 §3.1/§3.2, the device authorization endpoint's rules without HTTP: a client registered
 * for the device_code grant (others: `unauthorized_client`), authenticated as at the token
 * endpoint (public clients by their client_id), asks for `scope` (within its own; absent: all of
 * them, like client_credentials) and optionally `resource`s (RFC 8707, within its own: they become
 * the tokens' audience). The answer:
 *  - `device_code`: 256 random bits, kept as SHA-256; the device presents it at the token endpoint;
 *  - `user_code`: 8 characters shown as XXXX-XXXX (oauth/device-codes.ts), kept as a keyed hash;
 *    a fresh code that collides with a kept one (live or not yet purged) is drawn again;
 *  - `verification_uri` (the page where the person types it) and `verification_uri_complete`
 *    (the same with `user_code`, for a QR code or a link: §3.3.1), `expires_in`
 *    (DEVICE_CODE_TTL_SECONDS) and `interval` (DEVICE_POLL_INTERVAL_SECONDS, §3.2's default).
 */
import type { Clock } from '../clock.js';
import type { ClientRecord } from '../storage/clients.js';
import type { Stores } from '../storage/stores.js';
import { OAuthError } from '../oauth/errors.js';
import { parseScope } from '../oauth/scopes.js';
import { audienceFor } from '../oauth/resources.js';
import { DEVICE_CODE_GRANT_TYPE, newUserCode, normalizeUserCode, userCodeHash } from '../oauth/device-codes.js';
import { hashSecret, randomSecret } from '../tokens/secrets.js';
import type { DeviceAuthorizationObserver, DeviceRequestOrigin } from '../audit/device-authorizations.js';

/** How long a person has to type the code and approve: RFC 8628 leaves it to the server; 10 minutes. */
export const DEVICE_CODE_TTL_SECONDS = 600;
/** RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
export const DEVICE_POLL_INTERVAL_SECONDS = 5;
/** Draws of a user code before giving up (a collision is ~1 in 10^10 per kept code). */
const USER_CODE_DRAWS = 5;

export interface DeviceAuthorizationResponse {
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly verification_uri_complete: string;
  readonly expires_in: number;
  readonly interval: number;
}

export interface DeviceAuthorizationsDeps {
  readonly stores: Pick<Stores, 'deviceAuthorizations'>;
  readonly clock: Clock;
  readonly issuer: string;
  /** The keyed hash's key for user codes (derived from the KEK: oauth/device-codes.ts). */
  readonly userCodeKey: Buffer;
  /** The verification page's absolute URL. */
  readonly verificationUri: string;
  readonly observer?: DeviceAuthorizationObserver;
}

export class DeviceAuthorizations {
  constructor(private readonly deps: DeviceAuthorizationsDeps) {}

  async start(client: ClientRecord, request: { readonly scope: string | undefined; readonly resources: readonly string[] }, origin: DeviceRequestOrigin): Promise<DeviceAuthorizationResponse> {
    if (!client.grantTypes.includes(DEVICE_CODE_GRANT_TYPE)) {
      throw new OAuthError('unauthorized_client', `the client is not registered for the ${DEVICE_CODE_GRANT_TYPE} grant`);
    }
    const scopes = request.scope === undefined ? [...client.scopes] : parseScope(request.scope);
    const refused = scopes.filter((scope) => !client.scopes.includes(scope));
    if (refused.length > 0) throw new OAuthError('invalid_scope', `the client may not request the scope ${refused.map((s) => JSON.stringify(s)).join(', ')}`);
    if (scopes.length === 0) throw new OAuthError('invalid_scope', 'the client has no scope to ask for');
    audienceFor(request.resources, client.resources, this.deps.issuer); // throws invalid_target for a resource not the client's

    const store = this.deps.stores.deviceAuthorizations;
    let userCode: string | undefined;
    let userCodeDigest = '';
    for (let draw = 0; draw < USER_CODE_DRAWS && userCode === undefined; draw += 1) {
      const candidate = newUserCode();
      userCodeDigest = userCodeHash(this.deps.userCodeKey, normalizeUserCode(candidate)!);
      if ((await store.findByUserCode(userCodeDigest)) === undefined) userCode = candidate;
    }
    if (userCode === undefined) throw new OAuthError('temporarily_unavailable', 'no free user code could be drawn; try again');

    const deviceCode = randomSecret();
    const id = randomSecret(16);
    const now = this.deps.clock.nowSeconds();
    await store.insert({
      id,
      deviceCodeHash: hashSecret(deviceCode),
      userCodeHash: userCodeDigest,
      clientId: client.clientId,
      scopes,
      resources: [...new Set(request.resources)],
      createdAt: now,
      expiresAt: now + DEVICE_CODE_TTL_SECONDS,
      intervalSeconds: DEVICE_POLL_INTERVAL_SECONDS,
      lastPolledAt: null,
      status: 'pending',
      approval: null,
      decidedAt: null,
      consumedAt: null,
      grantId: null,
    });
    this.deps.observer?.started({ clientId: client.clientId, id, scopes }, origin);
    const complete = new URL(this.deps.verificationUri);
    complete.searchParams.set('user_code', userCode);
    return {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: this.deps.verificationUri,
      verification_uri_complete: complete.href,
      expires_in: DEVICE_CODE_TTL_SECONDS,
      interval: DEVICE_POLL_INTERVAL_SECONDS,
    };
  }
}
