/**
 * GET and POST /authorize (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1). The rules live in
 * login/authorizer.ts; this endpoint reads the parameters (query or form), keeps the
 * browser-binding cookie, and renders the outcome: a redirect, or an error page when the client
 * or its redirect_uri could not be validated (never an open redirect).
 */
import type { Context } from 'koa';
import type { Authorizer } from '../../login/authorizer.js';
import { INTERACTION_TTL_SECONDS } from '../../login/authorizer.js';
import { randomSecret } from '../../tokens/secrets.js';
import type { CookieJar } from '../cookies.js';
import { readPageForm } from '../page-form.js';
import { sendRedirect, type Pages } from '../page.js';
import { parseUiLocales } from '../../i18n/locales.js';
import type { OAuthError } from '../../oauth/errors.js';
import type { KoaHandler } from '../route.js';

export interface AuthorizeEndpointDeps {
  readonly authorizer: Authorizer;
  readonly cookies: CookieJar;
  readonly pages: Pages;
}

/**
 * The browser-binding cookie, created on first sight and sent again with a full lifetime on every
 * /authorize: a request started late in the cookie's life would otherwise lose its binding (and
 * fail at the login or consent step) when the cookie expired midway.
 */
export function browserSecret(ctx: Context, cookies: CookieJar): string {
  const secret = cookies.get(ctx, 'browser') ?? randomSecret();
  cookies.set(ctx, 'browser', secret, 2 * INTERACTION_TTL_SECONDS);
  return secret;
}

export function authorizeEndpoint(deps: AuthorizeEndpointDeps): KoaHandler {
  return async (ctx) => {
    let params: URLSearchParams;
    if (ctx.method === 'POST') {
      try {
        params = await readPageForm(ctx);
      } catch (error) {
        deps.pages.error(ctx, deps.pages.locale(ctx), (error as OAuthError).status ?? 400, error as OAuthError);
        return;
      }
    } else {
      params = new URLSearchParams(ctx.querystring);
    }
    const step = await deps.authorizer.start(
      params,
      { sessionSecret: deps.cookies.get(ctx, 'session'), browserSecret: browserSecret(ctx, deps.cookies) },
      ctx.ip,
    );
    // An error page before the request is stored still speaks the request's ui_locales.
    if (step.kind === 'error-page') deps.pages.error(ctx, deps.pages.locale(ctx, parseUiLocales(params.getAll('ui_locales').length === 1 ? params.get('ui_locales')! : undefined)), step.status, step.error);
    else sendRedirect(ctx, step.location);
  };
}
