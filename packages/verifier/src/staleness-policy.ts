/**
 * Revocation when the feed cannot vouch for the verifier's list (down, not yet connected, or not
 * used): the staleness policy, in the order the README states it.
 *   1. Records already received keep rejecting what they cover (the verifier checks them first).
 *   2. A token with a `status.status_list` claim is checked against that list (status-list-cache.ts).
 *   3. A token without a usable list is accepted while the feed showed a sign of life within
 *      maxStalenessSeconds (mode `feed` only; mode `status-list` accepts it, it has nothing else).
 *   4. After that, fail closed: ERR_REVOCATION_STALE until the feed or the status list answers again.
 */
import { fail } from './errors.js';
import type { FeedSubscription } from './feed-subscription.js';
import type { VerifierSettings } from './settings.js';
import type { StatusListCache } from './status-list-cache.js';
import type { AccessTokenClaims } from './verifier-types.js';

export async function checkRevocationWithoutFeed(
  claims: AccessTokenClaims,
  statusLists: StatusListCache,
  feed: Pick<FeedSubscription, 'heardFromWithin'> | undefined,
  settings: Pick<VerifierSettings, 'mode' | 'maxStalenessMs' | 'nowMs'>,
): Promise<void> {
  const nowMs = settings.nowMs();
  const reference = claims.status?.status_list;
  if (reference !== undefined && typeof reference.uri === 'string' && typeof reference.idx === 'number') {
    const status = await statusLists.statusOf(reference.uri, reference.idx, nowMs);
    if (status !== undefined) {
      if (status !== 0) fail('ERR_TOKEN_REVOKED', `the token's status is ${status} in its status list`);
      return;
    }
  } else if (settings.mode === 'status-list') {
    return; // nothing to consult for a token without a status reference
  }
  if (settings.mode === 'feed' && feed?.heardFromWithin(settings.maxStalenessMs, nowMs) === true) return;
  fail('ERR_REVOCATION_STALE', 'revocation data is older than maxStalenessSeconds (feed and status list unavailable)');
}
