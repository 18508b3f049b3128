/**
 * POST /token (RFC 6749 §3.2), answered on the hot path (../hot-path.ts, by the route table).
 * The shared steps of every grant, in order: parse the form, find the grant (grants/registry.ts),
 * authenticate the client, check the client may use the grant; then the grant does its part;
 * last, the answer waits until the status list indices of the tokens it carries are committed
 * (revocation/issued-status-log.ts), so every token that leaves the server can be revoked through
 * its status bit, after a restart too.
 * Responses carry `Cache-Control: no-store` (§5.1).
 *
 * DPoP (RFC 9449 §5): a request with a `DPoP` header gets its proof checked (oauth/dpop.ts) after
 * the client is authenticated (whether a nonce is required depends on the client), a fresh
 * `DPoP-Nonce` on its answer, and tokens bound to the proof key; a client registered with
 * `--require-dpop` is refused without a proof. Requests without the header pay nothing for it.
 */
import type { GrantRegistry } from '../../grants/registry.js';
import type { ClientAuthenticator } from '../../oauth/client-authentication.js';
import { ENDPOINT_PATHS } from '../../oauth/discovery.js';
import { OAuthError } from '../../oauth/errors.js';
import type { Dpop } from '../../oauth/dpop.js';
import { NO_STORE_HEADERS } from '../client-request.js';
import { authenticateClient } from '../client-credentials.js';
import { dpopProofHeader } from '../dpop-header.js';
import { readForm } from '../form.js';
import type { HotHandler } from '../hot-path.js';
import type { StatusLists } from '../../revocation/status-lists.js';

export interface TokenEndpointDeps {
  readonly grants: GrantRegistry;
  readonly statusLists: Pick<StatusLists, 'durable'>;
  readonly clientAuthenticator: ClientAuthenticator;
  readonly dpop: Dpop;
  readonly config: { readonly issuer: string };
}

export function tokenEndpoint(deps: TokenEndpointDeps): HotHandler {
  const tokenEndpointUrl = `${deps.config.issuer}${ENDPOINT_PATHS.token}`;
  return async ({ req, requestId, clientAddress, setHeader }) => {
    const form = await readForm(req);
    const grantType = form.params.get('grant_type');
    if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
    const grant = deps.grants.get(grantType);
    if (grant === undefined) throw new OAuthError('unsupported_grant_type', `grant_type ${JSON.stringify(grantType)} is not supported`);
    const client = await authenticateClient(req, form, deps.clientAuthenticator, { requestId, address: clientAddress });
    if (!client.grantTypes.includes(grantType)) {
      throw new OAuthError('unauthorized_client', `the client is not registered for the ${grantType} grant`);
    }
    const proof = dpopProofHeader(req.headers);
    let dpop: { readonly jkt: string } | undefined;
    if (proof !== undefined) {
      setHeader('DPoP-Nonce', deps.dpop.nonce());
      dpop = await deps.dpop.verify({ proof, method: 'POST', url: tokenEndpointUrl, requireNonce: client.requireDpopNonce === true });
    } else if (client.requireDpop === true) {
      throw new OAuthError('invalid_dpop_proof', 'this client must send a DPoP proof with every token request');
    }
    const response = await grant.handle({ grantType, client, params: form.params, resources: form.resources, audiences: form.audiences, requestId, clientAddress, dpop });
    try {
      await deps.statusLists.durable();
    } catch (error) {
      throw new OAuthError('temporarily_unavailable', 'the token could not be recorded for revocation; try again', { cause: error });
    }
    return { status: 200, headers: NO_STORE_HEADERS, json: response };
  };
}
