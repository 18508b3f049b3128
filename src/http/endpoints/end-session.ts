/** GET and POST /end-session: RP-initiated logout (rules in login/logout.ts); clears the session cookie. */
import { handleLogout, type LogoutDeps } from '../../login/logout.js';
import { browserPath, ENDPOINT_PATHS } from '../../oauth/discovery.js';
import type { CookieJar } from '../cookies.js';
import { logoutConfirmPage, signedOutPage } from '../html/pages.js';
import { field, readPageForm } from '../page-form.js';
import { sendRedirect, type Pages } from '../page.js';
import type { KoaHandler } from '../route.js';
import { pageErrors } from './login.js';
import { parseUiLocales } from '../../i18n/locales.js';
import { messagesFor } from '../../i18n/messages.js';

export function endSessionEndpoint(deps: LogoutDeps & { cookies: CookieJar; pages: Pages }): KoaHandler {
  return (ctx) =>
    pageErrors(ctx, deps.pages, async () => {
      const params = ctx.method === 'POST' ? await readPageForm(ctx) : new URLSearchParams(ctx.querystring);
      const get = (name: string) => field(params, name);
      // RP-Initiated Logout 1.0 §2: `ui_locales`, as at /authorize; the confirmation form carries it on.
      const uiLocales = get('ui_locales');
      const locale = deps.pages.locale(ctx, parseUiLocales(uiLocales));
      const t = messagesFor(locale);
      const outcome = await handleLogout(
        deps,
        {
          idTokenHint: get('id_token_hint'),
          clientId: get('client_id'),
          postLogoutRedirectUri: get('post_logout_redirect_uri'),
          state: get('state'),
          confirmedWithCsrf: ctx.method === 'POST' && get('confirm') === 'yes' ? get('csrf') : undefined,
        },
        deps.cookies.get(ctx, 'session'),
      );
      if (outcome.kind === 'error-page') {
        deps.pages.error(ctx, locale, 400, outcome.error, 'signOutHeading');
      } else if (outcome.kind === 'confirm') {
        deps.pages.send(ctx, {
          status: 200,
          locale,
          title: t.logout.title,
          content: logoutConfirmPage({
            t,
            brandName: deps.pages.brand.name,
            action: browserPath(deps.issuer, ENDPOINT_PATHS.endSession),
            csrfToken: outcome.csrfToken,
            hidden: { ...outcome.hidden, ui_locales: uiLocales },
            clientName: outcome.client?.name,
          }),
          formTargets: outcome.hidden.post_logout_redirect_uri === undefined ? [] : [outcome.hidden.post_logout_redirect_uri],
        });
      } else {
        deps.cookies.clear(ctx, 'session');
        if (outcome.redirect !== undefined) sendRedirect(ctx, outcome.redirect);
        else deps.pages.send(ctx, { status: 200, locale, title: t.logout.doneTitle, content: signedOutPage(t) });
      }
    });
}
