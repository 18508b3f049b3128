/**
 * POST /introspect (RFC 7662): a confidential client authenticates as at the token endpoint and
 * learns whether `token` is active, with its claims (the rules are in client-tokens/introspection.ts).
 */
import type { ClientAuthenticator } from '../../oauth/client-authentication.js';
import { introspect, type IntrospectionDeps } from '../../client-tokens/introspection.js';
import { clientTokenRequest, noStore } from '../client-request.js';
import type { KoaHandler } from '../route.js';

export interface IntrospectionEndpointDeps extends IntrospectionDeps {
  readonly clientAuthenticator: ClientAuthenticator;
}

export function introspectionEndpoint(deps: IntrospectionEndpointDeps): KoaHandler {
  return async (ctx) => {
    const { client, token } = await clientTokenRequest(ctx, deps.clientAuthenticator);
    const answer = await introspect(deps, client, token);
    noStore(ctx);
    ctx.body = answer;
  };
}
