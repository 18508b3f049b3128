/**
 * POST /revoke (RFC 7009): the client authenticates as at the token endpoint; `token` is
 * required; the answer is 200 with an empty body whether or not anything was revoked (§2.2).
 * The rules are in client-tokens/token-revocation.ts.
 */
import type { ClientAuthenticator } from '../../oauth/client-authentication.js';
import { revokeToken, type TokenRevocationDeps } from '../../client-tokens/token-revocation.js';
import { clientTokenRequest, noStore } from '../client-request.js';
import type { KoaHandler } from '../route.js';

export interface RevocationEndpointDeps extends TokenRevocationDeps {
  readonly clientAuthenticator: ClientAuthenticator;
}

export function revocationEndpoint(deps: RevocationEndpointDeps): KoaHandler {
  return async (ctx) => {
    const { client, token } = await clientTokenRequest(ctx, deps.clientAuthenticator);
    await revokeToken(deps, client, token);
    noStore(ctx);
    ctx.status = 200;
    ctx.body = '';
  };
}
