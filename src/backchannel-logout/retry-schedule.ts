/**
 * When a failed back-channel logout delivery is tried again, or given up: pure, from the attempts
 * made, the delivery's age and the configured schedule (BACKCHANNEL_LOGOUT_RETRY_SCHEDULE). The
 * n-th failed attempt waits `retrySeconds[n-1]` (the default's first is 5 s, so the first retry
 * comes within 30 s of the failure); a delivery whose attempts outrun the schedule, or whose next
 * attempt would fall after `maxAgeSeconds` from its logout, is given up.
 */
import type { BackchannelLogoutConfig } from '../config.js';

export type RetryDecision = { readonly kind: 'retry'; readonly inSeconds: number } | { readonly kind: 'give_up' };

export function afterFailure(
  delivery: { readonly attempts: number; readonly createdAt: number },
  now: number,
  config: Pick<BackchannelLogoutConfig, 'retrySeconds' | 'maxAgeSeconds'>,
): RetryDecision {
  const wait = config.retrySeconds[delivery.attempts - 1];
  if (wait === undefined || now + wait > delivery.createdAt + config.maxAgeSeconds) return { kind: 'give_up' };
  return { kind: 'retry', inSeconds: wait };
}

/** A delivery older than this is given up without another attempt (a server down for a long time). */
export function tooOld(delivery: { readonly createdAt: number }, now: number, config: Pick<BackchannelLogoutConfig, 'maxAgeSeconds'>): boolean {
  return now > delivery.createdAt + config.maxAgeSeconds;
}
