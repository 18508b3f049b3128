/**
 * POST /introspect (RFC 7662): a confidential client authenticates as at the token endpoint and
 * learns whether `token` is active, with its claims (the rules are in client-tokens/introspection.ts).
 */
import type { Router } from '@koa/router';
import type { ClientAuthenticator } from '../../oauth/client-authentication.js';
import { ENDPOINT_PATHS } from '../../oauth/discovery.js';
import { introspect, type IntrospectionDeps } from '../../client-tokens/introspection.js';
import { clientTokenRequest, noStore } from '../client-request.js';

export interface IntrospectionEndpointDeps extends IntrospectionDeps {
  readonly clientAuthenticator: ClientAuthenticator;
}

export function mountIntrospection(router: Router, deps: IntrospectionEndpointDeps): void {
  router.all(ENDPOINT_PATHS.introspection, async (ctx) => {
    const { client, token } = await clientTokenRequest(ctx, 'introspection', deps.clientAuthenticator);
    const answer = await introspect(deps, client, token);
    noStore(ctx);
    ctx.body = answer;
  });
}
