/** GET and POST /consent?ix=…: the consent page (buttons Allow and Deny) of a pending authorization request. */
import type { Authorizer } from '../../login/authorizer.js';
import { describeScope } from '../../login/scopes-text.js';
import type { CookieJar } from '../cookies.js';
import { consentPage } from '../html/pages.js';
import { field, readPageForm } from '../page-form.js';
import { sendPage, sendRedirect } from '../page.js';
import type { KoaHandler } from '../route.js';
import { sendErrorPage } from './authorize.js';
import { interactionClientName, interactionFormTargets, pageErrors } from './login.js';

export interface ConsentEndpointDeps {
  readonly authorizer: Authorizer;
  readonly cookies: CookieJar;
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
    pageErrors(ctx, async () => {
      const result = await deps.authorizer.consentPage(ix(ctx.query.ix), {
        browserSecret: deps.cookies.get(ctx, 'browser'),
        sessionSecret: deps.cookies.get(ctx, 'session'),
      });
      if ('kind' in result) {
        if (result.kind === 'redirect') sendRedirect(ctx, result.location);
        else sendErrorPage(ctx, result.status, result.error);
        return;
      }
      sendPage(ctx, {
        status: 200,
        title: 'Allow access',
        content: consentPage({
          action: `${deps.authorizer.paths.consent}?ix=${encodeURIComponent(result.id)}`,
          csrfToken: result.csrfToken,
          clientName: interactionClientName(result),
          scopeDescriptions: result.request.scopes.map(describeScope),
          userEmail: result.userEmail,
          forDevice: result.request.deviceAuthorizationId !== undefined,
        }),
        formTargets: interactionFormTargets(result),
      });
    });
  const submit: KoaHandler = (ctx) =>
    pageErrors(ctx, async () => {
      const form = await readPageForm(ctx);
      const step = await deps.authorizer.submitConsent(
        ix(ctx.query.ix),
        { browserSecret: deps.cookies.get(ctx, 'browser'), sessionSecret: deps.cookies.get(ctx, 'session') },
        { csrf: field(form, 'csrf'), decision: field(form, 'decision') },
      );
      if (step.kind === 'redirect') sendRedirect(ctx, step.location);
      else sendErrorPage(ctx, step.status, step.error);
    });
  return { page, submit };
}
