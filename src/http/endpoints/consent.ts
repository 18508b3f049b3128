/** GET and POST /consent?ix=…: the consent page (buttons Allow and Deny) of a pending authorization request. */
import type { Authorizer } from '../../login/authorizer.js';
import { describeScope } from '../../login/scopes-text.js';
import { messagesFor } from '../../i18n/messages.js';
import type { CookieJar } from '../cookies.js';
import { consentPage } from '../html/pages.js';
import { field, readPageForm } from '../page-form.js';
import { sendRedirect, type Pages } from '../page.js';
import type { KoaHandler } from '../route.js';
import { interactionClientName, interactionFormTargets, interactionLocale, pageErrors } from './login.js';

export interface ConsentEndpointDeps {
  readonly authorizer: Authorizer;
  readonly cookies: CookieJar;
  readonly pages: Pages;
}

export interface ConsentEndpoints {
  /** GET: the page. */
  readonly page: KoaHandler;
  /** POST: the decision. */
  readonly submit: KoaHandler;
}

export function consentEndpoints(deps: ConsentEndpointDeps): ConsentEndpoints {
  const ix = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const page: KoaHandler = (ctx) =>
    pageErrors(ctx, deps.pages, async () => {
      const result = await deps.authorizer.consentPage(ix(ctx.query.ix), {
        browserSecret: deps.cookies.get(ctx, 'browser'),
        sessionSecret: deps.cookies.get(ctx, 'session'),
      });
      if ('kind' in result) {
        if (result.kind === 'redirect') sendRedirect(ctx, result.location);
        else deps.pages.error(ctx, deps.pages.locale(ctx), result.status, result.error);
        return;
      }
      const locale = interactionLocale(ctx, deps.pages, result);
      const t = messagesFor(locale);
      const clientLogoUri = result.client?.logoUri ?? undefined;
      deps.pages.send(ctx, {
        status: 200,
        locale,
        title: t.consent.title,
        content: consentPage({
          t,
          action: `${deps.authorizer.paths.consent}?ix=${encodeURIComponent(result.id)}`,
          csrfToken: result.csrfToken,
          clientName: interactionClientName(result, t, deps.pages.brand.name),
          clientLogoUri,
          scopeDescriptions: result.request.scopes.map((scope) => describeScope(scope, t)),
          userEmail: result.userEmail,
          forDevice: result.request.deviceAuthorizationId !== undefined,
        }),
        formTargets: interactionFormTargets(result),
        ...(clientLogoUri === undefined ? {} : { images: [clientLogoUri] }),
      });
    });
  const submit: KoaHandler = (ctx) =>
    pageErrors(ctx, deps.pages, async () => {
      const form = await readPageForm(ctx);
      const step = await deps.authorizer.submitConsent(
        ix(ctx.query.ix),
        { browserSecret: deps.cookies.get(ctx, 'browser'), sessionSecret: deps.cookies.get(ctx, 'session') },
        { csrf: field(form, 'csrf'), decision: field(form, 'decision') },
      );
      if (step.kind === 'redirect') sendRedirect(ctx, step.location);
      else deps.pages.error(ctx, deps.pages.locale(ctx), step.status, step.error);
    });
  return { page, submit };
}
