/**
 * GET and POST /login?ix=…: the sign-in page of a pending authorization request (or of Inkan's
 * own account page). The POST needs the browser that started the request (binding cookie) and the
 * CSRF token of the page it was shown (403 otherwise); a wrong password re-renders the page with
 * an error (401), a throttled attempt with a wait (429 + Retry-After). A person with a second
 * factor then gets the Code page (a POST with `code`: a wrong code 401, throttled 429, a used one
 * refused); success sets the session cookie and moves on.
 */
import type { Context } from 'koa';
import type { Authorizer } from '../../login/authorizer.js';
import { InteractionError, type InteractionView } from '../../login/steps.js';
import { SESSION_TTL_SECONDS } from '../../login/sessions.js';
import { OAuthError } from '../../oauth/errors.js';
import type { CookieJar } from '../cookies.js';
import { codePage, loginPage } from '../html/pages.js';
import { PASSKEY_REQUIRED_MESSAGE } from '../../login/authorizer.js';
import { field, readPageForm } from '../page-form.js';
import { sendPage, sendRedirect } from '../page.js';
import type { KoaHandler } from '../route.js';
import { sendErrorPage } from './authorize.js';

export interface LoginEndpointDeps {
  readonly authorizer: Authorizer;
  readonly cookies: CookieJar;
}

/** Who the person is signing in to: the client, or Inkan itself for its own pages. */
export function interactionClientName(view: InteractionView): string {
  return view.client?.name ?? 'your Inkan account';
}

/** Where the page's forms may lead: the client's redirect_uri (Inkan's own pages stay on 'self'). */
export function interactionFormTargets(view: InteractionView): string[] {
  return view.client === undefined ? [] : [view.request.redirectUri];
}

function showLogin(ctx: Context, loginPath: string, view: InteractionView, status: number, email: string, error?: string): void {
  const action = `${loginPath}?ix=${encodeURIComponent(view.id)}`;
  const common = { action, csrfToken: view.csrfToken, clientName: interactionClientName(view), ...(error === undefined ? {} : { error }) };
  sendPage(ctx, {
    status,
    title: view.stage === 'second-factor' ? 'Enter your code' : 'Sign in',
    content:
      view.stage === 'second-factor'
        ? codePage({ ...common, email: view.userEmail })
        : loginPage({ ...common, email, ...(view.passkeyRequired ? { notice: PASSKEY_REQUIRED_MESSAGE } : {}) }),
    formTargets: interactionFormTargets(view),
  });
}

/** Interaction and form problems become error pages with their status, never JSON. */
export async function pageErrors(ctx: Context, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof InteractionError) sendErrorPage(ctx, 400, { description: error.message }, 'This sign-in request cannot continue');
    else if (error instanceof OAuthError && error.status < 500) sendErrorPage(ctx, error.status, error);
    else throw error;
  }
}

export interface LoginEndpoints {
  /** GET: the page. */
  readonly page: KoaHandler;
  /** POST: the sign-in. */
  readonly submit: KoaHandler;
}

export function loginEndpoints(deps: LoginEndpointDeps): LoginEndpoints {
  const page: KoaHandler = (ctx) =>
    pageErrors(ctx, async () => {
      const view = await deps.authorizer.loginPage(typeof ctx.query.ix === 'string' ? ctx.query.ix : undefined, { browserSecret: deps.cookies.get(ctx, 'browser') });
      showLogin(ctx, deps.authorizer.paths.login, view, 200, view.request.loginHint ?? '');
    });
  const submit: KoaHandler = (ctx) =>
    pageErrors(ctx, async () => {
      const form = await readPageForm(ctx);
      const ix = typeof ctx.query.ix === 'string' ? ctx.query.ix : undefined;
      const cookies = { browserSecret: deps.cookies.get(ctx, 'browser'), sessionSecret: deps.cookies.get(ctx, 'session') };
      const requestId = ctx.state.requestId as string | undefined;
      // The Code page posts `code`; the password page `email` and `password`.
      const outcome = form.has('code')
        ? await deps.authorizer.submitCode(ix, cookies, { csrf: field(form, 'csrf'), code: field(form, 'code') }, ctx.ip, requestId)
        : await deps.authorizer.submitLogin(
            ix,
            cookies,
            { csrf: field(form, 'csrf'), email: field(form, 'email'), password: form.getAll('password').length === 1 ? form.get('password')! : undefined },
            ctx.ip,
            requestId,
          );
      if (outcome.kind === 'form') {
        if (outcome.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(outcome.retryAfterSeconds));
        showLogin(ctx, deps.authorizer.paths.login, outcome.view, outcome.status, outcome.email, outcome.message);
      } else if (outcome.kind === 'error-page') {
        sendErrorPage(ctx, outcome.status, outcome.error);
      } else {
        if (outcome.newSessionSecret !== undefined) deps.cookies.set(ctx, 'session', outcome.newSessionSecret, SESSION_TTL_SECONDS);
        sendRedirect(ctx, outcome.location);
      }
    });
  return { page, submit };
}
