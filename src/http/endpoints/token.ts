/**
 * POST /token (RFC 6749 §3.2). The shared steps of every grant, in order: parse the form, find the
 * grant, authenticate the client, check the client may use the grant; then the grant does its
 * part. Responses carry `Cache-Control: no-store` (§5.1).
 */
import type { Router } from '@koa/router';
import type { Grant } from '../../grants/grant.js';
import type { ClientAuthenticator } from '../../oauth/client-authentication.js';
import { ENDPOINT_PATHS } from '../../oauth/discovery.js';
import { OAuthError } from '../../oauth/errors.js';
import { authenticateClient, noStore, requirePost } from '../client-request.js';
import { readForm } from '../form.js';

export interface TokenEndpointDeps {
  readonly grants: ReadonlyMap<string, Grant>;
  readonly clientAuthenticator: ClientAuthenticator;
}

export function mountToken(router: Router, deps: TokenEndpointDeps): void {
  router.all(ENDPOINT_PATHS.token, async (ctx) => {
    requirePost(ctx, 'token');
    const form = await readForm(ctx);
    const grantType = form.params.get('grant_type');
    if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
    const grant = deps.grants.get(grantType);
    if (grant === undefined) throw new OAuthError('unsupported_grant_type', `grant_type ${JSON.stringify(grantType)} is not supported`);
    const client = await authenticateClient(ctx, form, deps.clientAuthenticator);
    if (!client.grantTypes.includes(grantType)) {
      throw new OAuthError('unauthorized_client', `the client is not registered for the ${grantType} grant`);
    }
    const response = await grant.handle({ grantType, client, params: form.params, resources: form.resources });
    noStore(ctx);
    ctx.body = response;
  });
}
