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
import { presentedCredentials } from '../client-credentials.js';
import { readForm } from '../form.js';

export interface TokenEndpointDeps {
  readonly grants: ReadonlyMap<string, Grant>;
  readonly clientAuthenticator: ClientAuthenticator;
}

export function mountToken(router: Router, deps: TokenEndpointDeps): void {
  router.all(ENDPOINT_PATHS.token, async (ctx) => {
    if (ctx.method !== 'POST') {
      throw new OAuthError('invalid_request', 'the token endpoint accepts only POST', { status: 405, headers: { Allow: 'POST' } });
    }
    const form = await readForm(ctx);
    const grantType = form.params.get('grant_type');
    if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
    const grant = deps.grants.get(grantType);
    if (grant === undefined) throw new OAuthError('unsupported_grant_type', `grant_type ${JSON.stringify(grantType)} is not supported`);
    const client = await deps.clientAuthenticator.authenticate(presentedCredentials(ctx, form));
    if (!client.grantTypes.includes(grantType)) {
      throw new OAuthError('unauthorized_client', `the client is not registered for the ${grantType} grant`);
    }
    const response = await grant.handle({ grantType, client, params: form.params, resources: form.resources });
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    ctx.body = response;
  });
}
