/**
 * GET /status-lists/:listId, a Token Status List (draft-ietf-oauth-status-list): the `uri` of
 * every access token's `status.status_list` claim. Public, like the JWKS: the list reveals only
 * which random indices are revoked. Served as `application/statuslist+jwt`, cacheable for the
 * list's `ttl`.
 */
import { OAuthError } from '../../oauth/errors.js';
import { STATUS_LIST_TTL_SECONDS, type StatusLists } from '../../revocation/status-lists.js';
import type { KoaHandler } from '../route.js';

const LIST_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function statusListEndpoint(deps: { statusLists: Pick<StatusLists, 'statusListToken'> }): KoaHandler {
  return async (ctx, params) => {
    const listId = params.listId ?? '';
    const jwt = LIST_ID.test(listId) ? await deps.statusLists.statusListToken(listId) : undefined;
    if (jwt === undefined) throw new OAuthError('invalid_request', 'no such status list', { status: 404 });
    ctx.set('Cache-Control', `public, max-age=${STATUS_LIST_TTL_SECONDS}`);
    ctx.type = 'application/statuslist+jwt';
    ctx.body = jwt;
  };
}
