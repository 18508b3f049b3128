/**
 * RFC 8628 §3.4/§3.5: the device's token request, `grant_type=urn:ietf:params:oauth:grant-type:device_code`
 * with `device_code` and the client's authentication (the token endpoint's shared steps). The
 * device code is found by its SHA-256, must be the client's own, and answers while the person has
 * not decided (§3.5):
 *  - `authorization_pending`, or `slow_down` when the device polls before `interval` seconds have
 *    passed since its previous request: the interval then grows by 5 seconds for this and every
 *    later request. Each poll is recorded by a compare-and-set, so of two concurrent polls one
 *    is `slow_down`.
 *  - `access_denied` once the person pressed Deny; `expired_token` once the code expired.
 * An approved code gives the person's tokens through the one issuance of person-tokens.ts, with
 * the approving login's session (so ending the session or the person revokes the device's
 * tokens and refresh family) and its own grant id; it is single-use (a conditional update, which
 * also records the grant id), and an unknown code is `invalid_grant`. The audience is the
 * resources named at the device endpoint; the token request may narrow them to some of those.
 *
 * A used code presented again is `invalid_grant` and ends the grant it started, as a replayed
 * authorization code does (RFC 6749 §4.1.2; node-oidc-provider treats device codes so too): the
 * refresh family and every access token carrying the grant id (revocation/revoker.ts `endGrant`),
 * also when the replay lands while the exchange creates the family (person-tokens.ts).
 */
import type { Clock } from '../clock.js';
import type { Stores } from '../storage/stores.js';
import type { DeviceAuthorizationRecord } from '../storage/device-authorizations.js';
import { OAuthError } from '../oauth/errors.js';
import { audienceFor } from '../oauth/resources.js';
import { DEVICE_CODE_GRANT_TYPE } from '../oauth/device-codes.js';
import { hashSecret } from '../tokens/secrets.js';
import type { Grant, TokenResponse } from './grant.js';
import { issueApprovedLogin, type ApprovedLoginDeps } from './person-tokens.js';

/** RFC 8628 §3.5: how much `slow_down` adds to the interval. */
export const SLOW_DOWN_SECONDS = 5;

export interface DeviceCodeGrantDeps extends ApprovedLoginDeps {
  readonly clock: Clock;
  readonly stores: ApprovedLoginDeps['stores'] & Pick<Stores, 'deviceAuthorizations'>;
}

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);

export function deviceCodeGrant(deps: DeviceCodeGrantDeps): Grant {
  const store = deps.stores.deviceAuthorizations;

  /** §3.5 while the person has not decided: pending, or slow_down for a device polling too fast. */
  async function stillPending(record: DeviceAuthorizationRecord, now: number): Promise<never> {
    const tooFast = record.lastPolledAt !== null && now - record.lastPolledAt < record.intervalSeconds;
    const interval = tooFast ? record.intervalSeconds + SLOW_DOWN_SECONDS : record.intervalSeconds;
    const recorded = await store.recordPoll(record.id, record.lastPolledAt, now, interval);
    if (tooFast || !recorded) {
      throw new OAuthError('slow_down', `polling too fast: wait at least ${interval} seconds between token requests`);
    }
    throw new OAuthError('authorization_pending', 'the person has not yet approved this device');
  }

  /** A used code, presented again: end the grant it started. */
  async function replayed(grantId: string | null): Promise<never> {
    if (grantId !== null) await deps.revoker.endGrant(grantId);
    throw invalidGrant('the device_code was already used; the tokens issued for it are revoked');
  }

  return {
    grantType: DEVICE_CODE_GRANT_TYPE,
    async handle(request): Promise<TokenResponse> {
      const { client, params, resources } = request;
      const deviceCode = params.get('device_code');
      if (deviceCode === undefined) throw new OAuthError('invalid_request', 'device_code is required');
      const record = deviceCode.length <= 200 ? await store.findByDeviceCode(hashSecret(deviceCode)) : undefined;
      if (record === undefined) throw invalidGrant('the device_code is invalid');
      if (record.clientId !== client.clientId) throw invalidGrant('the device_code was issued to another client');
      if (record.consumedAt !== null) return replayed(record.grantId);
      const now = deps.clock.nowSeconds();
      if (now >= record.expiresAt) throw new OAuthError('expired_token', 'the device_code has expired; start a new device authorization');
      if (record.status === 'denied') throw new OAuthError('access_denied', 'the person denied the request');
      if (record.status === 'pending' || record.approval === null) return stillPending(record, now);

      const narrowed = resources.length === 0 ? record.resources : resources;
      return issueApprovedLogin(deps, {
        request,
        approved: { ...record.approval, scopes: record.scopes },
        audience: audienceFor(narrowed, record.resources, deps.tokens.issuer),
        // The winner of this update is the only exchange; a loser is a replay like any other.
        consume: async (grantId) => {
          if (!(await store.consume(record.id, now, grantId))) await replayed((await store.find(record.id))?.grantId ?? null);
        },
        presented: 'the device_code',
      });
    },
  };
}
