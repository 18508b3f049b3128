/**
 * GET and POST /userinfo (OpenID Connect Core §5.3): the claims of the access token's user by the
 * token's scope. The token comes as `Authorization: Bearer` or, for POST, the `access_token` form
 * field (RFC 6750 §2.1–2.2, never both); errors are RFC 6750 §3 challenges. Tokens are verified
 * offline (tokens/own-access-token.ts); the user must still exist and not be disabled.
 */
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { userClaims } from '../../accounts/claims.js';
import { ENDPOINT_PATHS } from '../../oauth/discovery.js';
import { OAuthError } from '../../oauth/errors.js';
import { parseScope } from '../../oauth/scopes.js';
import type { UserStore } from '../../storage/stores.js';
import { AccessTokenRejected, type AccessTokenClaims } from '../../tokens/own-access-token.js';
import { readPageForm } from '../page-form.js';

export interface UserinfoEndpointDeps {
  readonly verifyAccessToken: (token: string) => Promise<AccessTokenClaims>;
  readonly users: Pick<UserStore, 'find'>;
}

const quote = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

function challenge(code: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined, description: string, status: number): OAuthError {
  const parts = ['realm="inkan"'];
  if (code !== undefined) parts.push(`error=${quote(code)}`, `error_description=${quote(description)}`);
  if (code === 'insufficient_scope') parts.push('scope="openid"');
  return new OAuthError(code ?? 'invalid_token', description, { status, headers: { 'WWW-Authenticate': `Bearer ${parts.join(', ')}` } });
}

async function presentedToken(ctx: Context): Promise<string> {
  const header = ctx.get('authorization');
  let fromHeader: string | undefined;
  if (header !== '') {
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (match === null) throw challenge('invalid_request', 'the Authorization header must be "Bearer <token>"', 400);
    fromHeader = match[1];
  }
  let fromBody: string | undefined;
  if (ctx.method === 'POST' && ctx.request.is('application/x-www-form-urlencoded')) {
    const form = await readPageForm(ctx);
    const values = form.getAll('access_token');
    if (values.length > 1) throw challenge('invalid_request', 'access_token is repeated', 400);
    fromBody = values[0];
  }
  if (fromHeader !== undefined && fromBody !== undefined) throw challenge('invalid_request', 'the access token was sent in more than one way', 400);
  const token = fromHeader ?? fromBody;
  // RFC 6750 §3.1: a request without any authentication gets a challenge without an error code.
  if (token === undefined) throw challenge(undefined, 'an access token is required', 401);
  return token;
}

export function mountUserinfo(router: Router, deps: UserinfoEndpointDeps): void {
  const handle = async (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store');
    const token = await presentedToken(ctx);
    let claims: AccessTokenClaims;
    try {
      claims = await deps.verifyAccessToken(token);
    } catch (error) {
      if (error instanceof AccessTokenRejected) throw challenge('invalid_token', error.message, 401);
      throw error;
    }
    const scopes = parseScope(claims.scope);
    if (!scopes.includes('openid')) throw challenge('insufficient_scope', 'the access token lacks the openid scope', 403);
    const user = await deps.users.find(claims.sub);
    if (user === undefined || user.disabledAt !== null) throw challenge('invalid_token', 'the user is no longer active', 401);
    ctx.body = { sub: user.id, ...userClaims(user, scopes) };
  };
  router.get(ENDPOINT_PATHS.userinfo, handle);
  router.post(ENDPOINT_PATHS.userinfo, handle);
}
