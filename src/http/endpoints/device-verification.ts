/**
 * The device verification pages (RFC 8628 §3.3): GET /device shows the Code form (prefilled from
 * `verification_uri_complete`'s `user_code`), POST /device takes the code (login/device-verification.ts):
 * a refused code re-renders the form with why (400; throttled 429 + Retry-After), a valid one goes
 * on to the sign-in and consent pages. GET /device/done is where Allow or Deny ends. The pages'
 * headers, brand and language are every page's (page.ts: a device request has no `ui_locales`, so
 * Accept-Language chooses); the form's CSRF token is bound to the browser cookie, set here.
 */
import type { Context } from 'koa';
import type { DeviceVerification } from '../../login/device-verification.js';
import type { CookieJar } from '../cookies.js';
import { messagesFor } from '../../i18n/messages.js';
import { deviceCodePage, deviceDonePage, devicePageTitle, type DeviceCodePageModel } from '../html/pages.js';
import { field, readPageForm } from '../page-form.js';
import { sendRedirect, type Pages } from '../page.js';
import type { KoaHandler } from '../route.js';
import { browserSecret } from './authorize.js';
import { pageErrors } from './login.js';

export interface DeviceVerificationEndpointDeps {
  readonly verification: DeviceVerification;
  readonly cookies: CookieJar;
  readonly pages: Pages;
  /** The form's action, as the browser sees it (browserPath). */
  readonly path: string;
}

export interface DeviceVerificationEndpoints {
  readonly page: KoaHandler;
  readonly submit: KoaHandler;
  readonly done: KoaHandler;
}

export function deviceVerificationEndpoints(deps: DeviceVerificationEndpointDeps): DeviceVerificationEndpoints {
  const show = (ctx: Context, status: number, secret: string, model: Pick<DeviceCodePageModel, 'userCode' | 'refusal'>) => {
    const locale = deps.pages.locale(ctx);
    const t = messagesFor(locale);
    deps.pages.send(ctx, {
      status,
      locale,
      title: devicePageTitle(t, 'code'),
      content: deviceCodePage({ t, action: deps.path, csrfToken: deps.verification.csrfToken(secret), ...model }),
    });
  };
  const page: KoaHandler = (ctx) => {
    const userCode = typeof ctx.query.user_code === 'string' ? ctx.query.user_code.slice(0, 32) : '';
    show(ctx, 200, browserSecret(ctx, deps.cookies), { userCode });
  };
  const submit: KoaHandler = (ctx) =>
    pageErrors(ctx, deps.pages, async () => {
      const form = await readPageForm(ctx);
      const secret = browserSecret(ctx, deps.cookies);
      const typed = field(form, 'user_code');
      const outcome = await deps.verification.submit(
        typed,
        field(form, 'csrf'),
        { browserSecret: secret, sessionSecret: deps.cookies.get(ctx, 'session') },
        ctx.ip,
        ctx.state.requestId as string | undefined,
      );
      if (outcome.kind === 'refused') {
        if (outcome.reason === 'throttled') ctx.set('Retry-After', String(outcome.retryAfterSeconds));
        show(ctx, outcome.reason === 'throttled' ? 429 : 400, secret, { userCode: (typed ?? '').slice(0, 32), refusal: outcome });
      } else if (outcome.kind === 'error-page') {
        deps.pages.error(ctx, deps.pages.locale(ctx), outcome.status, outcome.error);
      } else {
        sendRedirect(ctx, outcome.location);
      }
    });
  const done: KoaHandler = (ctx) => {
    const result = ctx.query.result === 'approved' ? 'approved' : 'denied';
    const locale = deps.pages.locale(ctx);
    const t = messagesFor(locale);
    deps.pages.send(ctx, { status: 200, locale, title: devicePageTitle(t, result), content: deviceDonePage(t, result) });
  };
  return { page, submit, done };
}
