/** GET and POST /end-session: RP-initiated logout (rules in login/logout.ts); clears the session cookie. */
import { handleLogout, type LogoutDeps } from '../../login/logout.js';
import { browserPath, ENDPOINT_PATHS } from '../../oauth/discovery.js';
import type { CookieJar } from '../cookies.js';
import { logoutConfirmPage, signedOutPage } from '../html/pages.js';
import { field, readPageForm } from '../page-form.js';
import { sendPage, sendRedirect } from '../page.js';
import type { KoaHandler } from '../route.js';
import { sendErrorPage } from './authorize.js';
import { pageErrors } from './login.js';

export function endSessionEndpoint(deps: LogoutDeps & { cookies: CookieJar }): KoaHandler {
  return (ctx) =>
    pageErrors(ctx, async () => {
      const params = ctx.method === 'POST' ? await readPageForm(ctx) : new URLSearchParams(ctx.querystring);
      const get = (name: string) => field(params, name);
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
        sendErrorPage(ctx, 400, outcome.error, 'This sign-out request cannot continue');
      } else if (outcome.kind === 'confirm') {
        sendPage(ctx, {
          status: 200,
          title: 'Sign out',
          content: logoutConfirmPage({ action: browserPath(deps.issuer, ENDPOINT_PATHS.endSession), csrfToken: outcome.csrfToken, hidden: outcome.hidden, clientName: outcome.client?.name }),
          formTargets: outcome.hidden.post_logout_redirect_uri === undefined ? [] : [outcome.hidden.post_logout_redirect_uri],
        });
      } else {
        deps.cookies.clear(ctx, 'session');
        if (outcome.redirect !== undefined) sendRedirect(ctx, outcome.redirect);
        else sendPage(ctx, { status: 200, title: 'Signed out', content: signedOutPage() });
      }
    });
}
