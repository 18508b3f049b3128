/**
 * GET and POST /login?ix=…: the sign-in page of a pending authorization request (or of Inkan's
 * own account page). The POST needs the browser that started the request (binding cookie) and the
 * CSRF token of the page it was shown (403 otherwise); a wrong password re-renders the page with
 * an error (401), a throttled attempt with a wait (429 + Retry-After). A person with a second
 * factor then gets the Code page (a POST with `code`: a wrong code 401, throttled 429, a used one
 * refused); success sets the session cookie and moves on.
 *
 * Where the issuer can be a WebAuthn relying party, the password page also offers "Sign in with a
 * passkey" (its scripts under the page's CSP nonce): POST /login/passkey/options?ix=… answers the
 * WebAuthn options as JSON (errors as RFC 6749-style JSON with the same statuses), and POST
 * /login/passkey?ix=… takes the answer like the password form: the same browser and CSRF rules,
 * a refusal re-renders the page with its reason (401; 403 for a disabled person), success moves on.
 */
import type { Context } from 'koa';
import type { Locale } from '../../i18n/locales.js';
import type { Authorizer } from '../../login/authorizer.js';
import { InteractionError, type InteractionView, type LoginOutcome } from '../../login/steps.js';
import { SESSION_TTL_SECONDS } from '../../login/sessions.js';
import { OAuthError } from '../../oauth/errors.js';
import type { CookieJar } from '../cookies.js';
import { codePage, loginPage } from '../html/pages.js';
import { format, messagesFor, type Messages } from '../../i18n/messages.js';
import { refusalText, type Refusal } from '../../i18n/refusals.js';
import { field, readPageForm } from '../page-form.js';
import { sendRedirect, setNoStore, type Pages } from '../page.js';
import type { KoaHandler } from '../route.js';

export interface LoginEndpointDeps {
  readonly authorizer: Authorizer;
  readonly cookies: CookieJar;
  readonly pages: Pages;
  /** The scripts of a page with a passkey button, as the browser fetches them (endpoints/assets.ts). */
  readonly passkeyScripts: readonly string[];
}

/** Who the person is signing in to: the client, or the operator's Inkan itself for its own pages. */
export function interactionClientName(view: InteractionView, t: Messages, brandName: string): string {
  return view.client?.name ?? format(t.login.ownAccount, { brand: brandName });
}

/** The language of an interaction's pages: the authorization request's `ui_locales`, then the browser's. */
export function interactionLocale(ctx: Context, pages: Pages, view: InteractionView): Locale {
  return pages.locale(ctx, view.request.uiLocales);
}

/** Where the page's forms may lead: the client's redirect_uri (Inkan's own pages stay on 'self'). */
export function interactionFormTargets(view: InteractionView): string[] {
  return view.client === undefined ? [] : [view.request.redirectUri];
}

function showLogin(ctx: Context, deps: LoginEndpointDeps, view: InteractionView, status: number, email: string, refused?: { message: string | undefined; refusal?: Refusal }): void {
  const loginPath = deps.authorizer.paths.login;
  const ix = `?ix=${encodeURIComponent(view.id)}`;
  const locale = interactionLocale(ctx, deps.pages, view);
  const t = messagesFor(locale);
  const error = refused?.refusal === undefined ? refused?.message : refusalText(t, refused.refusal);
  const common = { t, action: `${loginPath}${ix}`, csrfToken: view.csrfToken, clientName: interactionClientName(view, t, deps.pages.brand.name), ...(error === undefined ? {} : { error }) };
  // The passkey button replaces the password, so it belongs to the password step only.
  const offerPasskey = deps.authorizer.passkeysOffered && view.stage !== 'second-factor';
  deps.pages.send(ctx, {
    status,
    locale,
    title: view.stage === 'second-factor' ? t.code.title : t.login.title,
    content:
      view.stage === 'second-factor'
        ? codePage({ ...common, email: view.userEmail })
        : loginPage({
            ...common,
            email,
            ...(view.passkeyRequired ? { notice: t.refusals.passkeyRequired } : {}),
            ...(offerPasskey ? { passkey: { optionsUrl: `${loginPath}/passkey/options${ix}`, action: `${loginPath}/passkey${ix}` } } : {}),
          }),
    formTargets: interactionFormTargets(view),
    ...(offerPasskey ? { scripts: deps.passkeyScripts } : {}),
  });
}

/** Interaction and form problems become error pages with their status, never JSON (in the browser's language). */
export async function pageErrors(ctx: Context, pages: Pages, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof InteractionError) {
      const locale = pages.locale(ctx);
      pages.error(ctx, locale, 400, { description: refusalText(messagesFor(locale), error.refusal) }, 'signInHeading');
    } else if (error instanceof OAuthError && error.status < 500) {
      pages.error(ctx, pages.locale(ctx), error.status, error);
    } else {
      throw error;
    }
  }
}

export interface LoginEndpoints {
  /** GET: the page. */
  readonly page: KoaHandler;
  /** POST: the sign-in. */
  readonly submit: KoaHandler;
  /** POST /login/passkey/options: the WebAuthn options of a passkey sign-in (JSON). */
  readonly passkeyOptions: KoaHandler;
  /** POST /login/passkey: the passkey's answer. */
  readonly passkeySubmit: KoaHandler;
}

export function loginEndpoints(deps: LoginEndpointDeps): LoginEndpoints {
  const page: KoaHandler = (ctx) =>
    pageErrors(ctx, deps.pages, async () => {
      const view = await deps.authorizer.loginPage(typeof ctx.query.ix === 'string' ? ctx.query.ix : undefined, { browserSecret: deps.cookies.get(ctx, 'browser') });
      showLogin(ctx, deps, view, 200, view.request.loginHint ?? '');
    });
  const submit: KoaHandler = (ctx) =>
    pageErrors(ctx, deps.pages, async () => {
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
      answerLogin(ctx, deps, outcome);
    });
  const passkeyOptions: KoaHandler = async (ctx) => {
    const form = await readPageForm(ctx);
    try {
      const options = await deps.authorizer.passkeyOptions(ix(ctx), { browserSecret: deps.cookies.get(ctx, 'browser') }, field(form, 'csrf'));
      setNoStore(ctx);
      ctx.body = options;
    } catch (error) {
      // The page script shows error_description; the error middleware renders OAuthErrors as JSON.
      if (error instanceof InteractionError) throw new OAuthError('invalid_request', error.message);
      throw error;
    }
  };
  const passkeySubmit: KoaHandler = (ctx) =>
    pageErrors(ctx, deps.pages, async () => {
      const form = await readPageForm(ctx);
      const outcome = await deps.authorizer.submitPasskey(
        ix(ctx),
        { browserSecret: deps.cookies.get(ctx, 'browser'), sessionSecret: deps.cookies.get(ctx, 'session') },
        { csrf: field(form, 'csrf'), credential: field(form, 'credential') },
        ctx.ip,
        ctx.state.requestId as string | undefined,
      );
      answerLogin(ctx, deps, outcome);
    });
  return { page, submit, passkeyOptions, passkeySubmit };
}

function ix(ctx: Context): string | undefined {
  return typeof ctx.query.ix === 'string' ? ctx.query.ix : undefined;
}

function answerLogin(ctx: Context, deps: LoginEndpointDeps, outcome: LoginOutcome): void {
  if (outcome.kind === 'form') {
    if (outcome.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(outcome.retryAfterSeconds));
    showLogin(ctx, deps, outcome.view, outcome.status, outcome.email, outcome);
  } else if (outcome.kind === 'error-page') {
    deps.pages.error(ctx, deps.pages.locale(ctx), outcome.status, outcome.error);
  } else {
    if (outcome.newSessionSecret !== undefined) deps.cookies.set(ctx, 'session', outcome.newSessionSecret, SESSION_TTL_SECONDS);
    sendRedirect(ctx, outcome.location);
  }
}
