/**
 * GET and POST /account: the signed-in person's page (login/account.ts has its rules). Without a
 * live session the browser goes through the sign-in page and comes back. POSTs carry the page's
 * CSRF token (403 otherwise) and an `action`:
 *  - `totp-setup`: a new authenticator-app enrolment, its secret, URI and QR code shown once;
 *  - `totp-verify` (`factor`, `code`): finishes it with a right code (400 and the same enrolment
 *    again with a wrong one); the first second factor also shows the 10 recovery codes, once;
 *  - `factor-remove` (`factor`): removes an authenticator app;
 *  - `recovery-regenerate`: 10 new recovery codes replace the old ones, shown once.
 * A change needs a sign-in at most 5 minutes old: an older session signs in again (password and
 * second factor) and comes back here.
 *
 * Other kinds of factors plug in with `AccountSection`s (routes.ts passes them): passkeys
 * (account-passkeys.ts) render their list and `Add a passkey`, name the scripts the page loads
 * under its CSP nonce, and handle their own actions (`passkey-add`, `passkey-rename`,
 * `passkey-remove`) after the same CSRF and fresh sign-in checks.
 */
import type { Context } from 'koa';
import type { Account } from '../../login/account.js';
import type { Authorizer } from '../../login/authorizer.js';
import type { LiveSession } from '../../login/sessions.js';
import type { ChangeOrigin } from '../../login/account.js';
import type { TotpEnrolment } from '../../accounts/totp-factors.js';
import type { CookieJar } from '../cookies.js';
import { accountPage, type AccountPageModel } from '../html/account-page.js';
import type { Markup } from '../html/markup.js';
import type { Locale } from '../../i18n/locales.js';
import { messagesFor, type Messages } from '../../i18n/messages.js';
import { field, readPageForm } from '../page-form.js';
import { sendRedirect, type Pages } from '../page.js';
import type { KoaHandler } from '../route.js';
import { browserSecret } from './authorize.js';
import { pageErrors } from './login.js';

/** A part of the account page another kind of factor renders (passkeys). */
export interface AccountSection {
  render(live: LiveSession, csrfToken: string, t: Messages): Promise<Markup> | Markup;
  /** The scripts the section needs (WebAuthn: endpoints/assets.ts), loaded under the page's CSP nonce. */
  readonly scripts?: readonly string[];
  /**
   * A POST `action` of the section's own, after the page's CSRF and fresh sign-in checks: what the
   * page then says, or undefined when the action is not the section's.
   */
  handle?(action: string, form: URLSearchParams, live: LiveSession, origin: ChangeOrigin, t: Messages): Promise<SectionOutcome | undefined>;
}

/** What a section's action makes the page show. */
export interface SectionOutcome {
  readonly status?: number;
  readonly notice?: string;
  readonly error?: string;
}

export interface AccountEndpointDeps {
  readonly account: Account;
  readonly authorizer: Authorizer;
  readonly cookies: CookieJar;
  readonly pages: Pages;
  /** The page's own path as the browser sees it (browserPath). */
  readonly path: string;
  readonly sections: readonly AccountSection[];
}

interface PageState {
  readonly status?: number;
  readonly enrolment?: TotpEnrolment;
  readonly recoveryCodes?: readonly string[];
  readonly notice?: string;
  readonly error?: string;
}

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

export function accountEndpoints(deps: AccountEndpointDeps): { page: KoaHandler; submit: KoaHandler } {
  const { account } = deps;

  /** Through the sign-in page and back (again, when `reauthenticate`). */
  async function signInFirst(ctx: Context, reauthenticate: boolean): Promise<void> {
    const step = await deps.authorizer.startAccountSignIn(deps.path, { sessionSecret: deps.cookies.get(ctx, 'session'), browserSecret: browserSecret(ctx, deps.cookies) }, ctx.ip, {
      reauthenticate,
    });
    if (step.kind === 'redirect') sendRedirect(ctx, step.location);
    else deps.pages.error(ctx, deps.pages.locale(ctx), step.status, step.error);
  }

  async function showPage(ctx: Context, locale: Locale, live: LiveSession, state: PageState): Promise<void> {
    const t = messagesFor(locale);
    const csrfToken = account.csrfToken(live);
    const factors = await account.factors(live);
    const model: AccountPageModel = {
      t,
      brandName: deps.pages.brand.name,
      action: deps.path,
      csrfToken,
      email: live.user.email,
      // Passkeys are listed, with their controls, by their own section.
      factors: factors.filter((factor) => factor.kind !== 'passkey').map((factor) => ({ id: factor.id, kind: factor.kind, label: factor.label, addedOn: day(factor.createdAt) })),
      hasTotp: factors.some((factor) => factor.kind === 'totp'),
      recoveryCodesLeft: await account.recoveryCodesLeft(live),
      sections: await Promise.all(deps.sections.map((section) => section.render(live, csrfToken, t))),
      ...(state.enrolment === undefined ? {} : { enrolment: state.enrolment }),
      ...(state.recoveryCodes === undefined ? {} : { recoveryCodes: state.recoveryCodes }),
      ...(state.notice === undefined ? {} : { notice: state.notice }),
      ...(state.error === undefined ? {} : { error: state.error }),
    };
    const scripts = deps.sections.flatMap((section) => section.scripts ?? []);
    deps.pages.send(ctx, { status: state.status ?? 200, locale, title: t.account.title, content: accountPage(model), scripts });
  }

  const page: KoaHandler = (ctx) =>
    pageErrors(ctx, deps.pages, async () => {
      const live = await account.signedIn(deps.cookies.get(ctx, 'session'));
      if (live === undefined) return signInFirst(ctx, false);
      await showPage(ctx, deps.pages.locale(ctx), live, {});
    });

  const submit: KoaHandler = (ctx) =>
    pageErrors(ctx, deps.pages, async () => {
      const form = await readPageForm(ctx);
      const live = await account.signedIn(deps.cookies.get(ctx, 'session'));
      if (live === undefined) return signInFirst(ctx, false);
      const locale = deps.pages.locale(ctx);
      const t = messagesFor(locale);
      const show = (state: PageState) => showPage(ctx, locale, live, state);
      if (!account.csrfMatches(live, field(form, 'csrf'))) {
        return deps.pages.error(ctx, locale, 403, { description: t.account.formExpired });
      }
      if (!account.mayChange(live)) return signInFirst(ctx, true);
      const origin = { requestId: ctx.state.requestId as string | undefined, address: ctx.ip };
      const action = field(form, 'action');
      if (action === 'totp-setup') return show({ enrolment: await account.startTotp(live) });
      if (action === 'totp-verify') {
        const outcome = await account.confirmTotp(live, field(form, 'factor') ?? '', field(form, 'code') ?? '', origin);
        if (outcome.kind === 'wrong') return show({ status: 400, enrolment: outcome.enrolment, error: t.account.wrongCode });
        if (outcome.kind === 'gone') return show({ status: 400, error: t.account.setUpExpired });
        return show({
          notice: t.account.appSetUp,
          ...(outcome.recoveryCodes === undefined ? {} : { recoveryCodes: outcome.recoveryCodes }),
        });
      }
      if (action === 'factor-remove') {
        const removed = await account.removeTotp(live, field(form, 'factor') ?? '', origin);
        return show(removed ? { notice: t.account.appRemoved } : { status: 404, error: t.account.methodNotFound });
      }
      if (action === 'recovery-regenerate') {
        return show({ notice: t.account.recoveryReplaced, recoveryCodes: await account.regenerateRecoveryCodes(live, origin) });
      }
      for (const section of deps.sections) {
        const outcome = await section.handle?.(action ?? '', form, live, origin, t);
        if (outcome !== undefined) return show(outcome);
      }
      deps.pages.error(ctx, locale, 400, { description: t.account.unknownAction });
    });

  return { page, submit };
}
