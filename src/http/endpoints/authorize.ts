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
import { sendPage, sendRedirect } from '../page.js';
import { errorPage } from '../html/pages.js';
import { OAuthError } from '../../oauth/errors.js';
import type { KoaHandler } from '../route.js';

export interface AuthorizeEndpointDeps {
  readonly authorizer: Authorizer;
  readonly cookies: CookieJar;
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

export function sendErrorPage(ctx: Context, status: number, error: OAuthError | { description: string }, title = 'This request cannot continue'): void {
  // An error's own headers (`Connection: close` after a refused body) go out with its page.
  if (error instanceof OAuthError) ctx.set(error.headers);
  sendPage(ctx, { status, title: 'Error', content: errorPage(title, error.description) });
}

export function authorizeEndpoint(deps: AuthorizeEndpointDeps): KoaHandler {
  return async (ctx) => {
    let params: URLSearchParams;
    if (ctx.method === 'POST') {
      try {
        params = await readPageForm(ctx);
      } catch (error) {
        sendErrorPage(ctx, (error as OAuthError).status ?? 400, error as OAuthError);
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
    if (step.kind === 'error-page') sendErrorPage(ctx, step.status, step.error);
    else sendRedirect(ctx, step.location);
  };
}
