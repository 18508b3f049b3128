/**
 * The steps every client-authenticated OAuth endpoint shares (token, revocation, introspection):
 * a strict form body, the client authenticated from what it presented (Basic, form fields or a
 * bare client_id; oauth/client-authentication.ts decides), and no caching of the answer
 * (RFC 6749 §5.1, RFC 7009 §2.2, RFC 7662 §2.2). POST only is the route table's rule (routes.ts).
 */
import type { Context } from 'koa';
import type { ClientAuthenticator } from '../oauth/client-authentication.js';
import { OAuthError } from '../oauth/errors.js';
import type { ClientRecord } from '../storage/clients.js';
import { authenticateClient } from './client-credentials.js';
import { readForm } from './form.js';

/**
 * The request of RFC 7009 and RFC 7662, both "a client presents a `token`": the form, the client
 * authenticated, `token` required (`token_type_hint` is for the caller to ignore).
 */
export async function clientTokenRequest(ctx: Context, authenticator: ClientAuthenticator): Promise<{ client: ClientRecord; token: string }> {
  const form = await readForm(ctx.req);
  const client = await authenticateClient(ctx.req, form, authenticator, { requestId: ctx.state.requestId as string | undefined, address: ctx.ip });
  const token = form.params.get('token');
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required');
  return { client, token };
}

/** RFC 6749 §5.1: answers that carry tokens or credentials are never cached. */
export const NO_STORE_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });

export function noStore(ctx: Context): void {
  ctx.set(NO_STORE_HEADERS);
}
