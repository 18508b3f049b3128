/**
 * POST /device/authorization, the device authorization endpoint (RFC 8628 §3.1/§3.2): a strict
 * form, the client authenticated as at the token endpoint (a public client by its client_id), then
 * login/device-authorization.ts decides and answers the codes as JSON, never cached. Errors are
 * RFC 6749 §5.2 JSON, like the token endpoint's (§3.2), rendered by the error middleware.
 */
import type { DeviceAuthorizations } from '../../login/device-authorization.js';
import type { ClientAuthenticator } from '../../oauth/client-authentication.js';
import { authenticateClient } from '../client-credentials.js';
import { noStore } from '../client-request.js';
import { readForm } from '../form.js';
import type { KoaHandler } from '../route.js';

export interface DeviceAuthorizationEndpointDeps {
  readonly deviceAuthorizations: DeviceAuthorizations;
  readonly clientAuthenticator: ClientAuthenticator;
}

export function deviceAuthorizationEndpoint(deps: DeviceAuthorizationEndpointDeps): KoaHandler {
  return async (ctx) => {
    const form = await readForm(ctx.req);
    const client = await authenticateClient(ctx.req, form, deps.clientAuthenticator);
    const answer = await deps.deviceAuthorizations.start(
      client,
      { scope: form.params.get('scope'), resources: form.resources },
      { requestId: ctx.state.requestId as string | undefined, address: ctx.ip },
    );
    noStore(ctx);
    ctx.body = answer;
  };
}
