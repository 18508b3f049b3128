/**
 * GET and POST /userinfo (OpenID Connect Core §5.3): the claims of the access token's user by the
 * token's scope. The token comes as `Authorization: Bearer` or, for POST, the `access_token` form
 * field (RFC 6750 §2.1–2.2, never both); errors are RFC 6750 §3 challenges (http/bearer.ts). The
 * token must be Inkan's, for the issuer as audience, unrevoked, with the scope `openid`
 * (tokens/issued-access-token.ts); the user must still exist and not be disabled. A DPoP-bound
 * token comes as `Authorization: DPoP` with a proof of its key (http/dpop-resource.ts).
 */
import type { Context } from 'koa';
import { userClaims } from '../../oauth/claims.js';
import { parseScope } from '../../oauth/scopes.js';
import type { UserStore } from '../../storage/people.js';
import type { IssuedAccessTokenVerifier } from '../../tokens/issued-access-token.js';
import { bearerError, bearerFromHeader, verifiedBearer } from '../bearer.js';
import { readPageForm } from '../page-form.js';
import type { Dpop } from '../../oauth/dpop.js';
import { type AuthorizationScheme, checkSenderConstraint, dpopSchemeToken, withDpopChallenge } from '../dpop-resource.js';
import type { KoaHandler } from '../route.js';

export interface UserinfoEndpointDeps {
  readonly verifyAccessToken: IssuedAccessTokenVerifier;
  readonly issuer: string;
  readonly users: Pick<UserStore, 'find'>;
  /** DPoP-bound tokens come as `Authorization: DPoP` with a proof (http/dpop-resource.ts). */
  readonly dpop: Dpop;
}

async function presentedToken(ctx: Context): Promise<{ token: string | undefined; scheme: AuthorizationScheme }> {
  const fromDpop = dpopSchemeToken(ctx);
  const fromHeader = fromDpop ?? bearerFromHeader(ctx);
  let fromBody: string | undefined;
  if (ctx.method === 'POST' && ctx.request.is('application/x-www-form-urlencoded')) {
    const form = await readPageForm(ctx);
    const values = form.getAll('access_token');
    if (values.length > 1) throw bearerError('invalid_request', 'access_token is repeated');
    fromBody = values[0];
  }
  if (fromHeader !== undefined && fromBody !== undefined) throw bearerError('invalid_request', 'the access token was sent in more than one way');
  return { token: fromHeader ?? fromBody, scheme: fromDpop === undefined ? 'Bearer' : 'DPoP' };
}

export function userinfoEndpoint(deps: UserinfoEndpointDeps): KoaHandler {
  return async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const presented = await presentedToken(ctx);
    const claims = await withDpopChallenge(presented.scheme, () => verifiedBearer(deps, presented.token, 'openid'));
    await checkSenderConstraint(deps, ctx, { token: presented.token!, scheme: presented.scheme }, claims);
    const scopes = parseScope(claims.scope);
    const user = await deps.users.find(claims.sub);
    if (user === undefined || user.disabledAt !== null) throw bearerError('invalid_token', 'the user is no longer active');
    ctx.body = { sub: user.id, ...userClaims(user, scopes) };
  };
}
