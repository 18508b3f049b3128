/**
 * POST /revoke (RFC 7009): the client authenticates as at the token endpoint; `token` is
 * required; the answer is 200 with an empty body whether or not anything was revoked (§2.2).
 * The rules are in client-tokens/token-revocation.ts.
 */
import type { Router } from '@koa/router';
import type { ClientAuthenticator } from '../../oauth/client-authentication.js';
import { ENDPOINT_PATHS } from '../../oauth/discovery.js';
import { revokeToken, type TokenRevocationDeps } from '../../client-tokens/token-revocation.js';
import { clientTokenRequest, noStore } from '../client-request.js';

export interface RevocationEndpointDeps extends TokenRevocationDeps {
  readonly clientAuthenticator: ClientAuthenticator;
}

export function mountRevocation(router: Router, deps: RevocationEndpointDeps): void {
  router.all(ENDPOINT_PATHS.revocation, async (ctx) => {
    const { client, token } = await clientTokenRequest(ctx, 'revocation', deps.clientAuthenticator);
    await revokeToken(deps, client, token);
    noStore(ctx);
    ctx.status = 200;
    ctx.body = '';
  });
}
