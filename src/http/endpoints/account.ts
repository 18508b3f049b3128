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
 * PASSKEYS plug in with `AccountSection`s (routes.ts passes them): each renders its part of the
 * "Sign-in methods" section (a passkey list and `Add a passkey`) from the person's live session
 * and the page's CSRF token, and may add one script, which the page's CSP allows by its nonce.
 * The passkey endpoints themselves are rows of their own in routes.ts.
 */
import type { Context } from 'koa';
import type { Account } from '../../login/account.js';
import type { Authorizer } from '../../login/authorizer.js';
import type { LiveSession } from '../../login/sessions.js';
import type { TotpEnrolment } from '../../accounts/totp-factors.js';
import type { CookieJar } from '../cookies.js';
import { accountPage, type AccountPageModel } from '../html/account-page.js';
import type { Markup } from '../html/markup.js';
import { field, readPageForm } from '../page-form.js';
import { sendPage, sendRedirect } from '../page.js';
import type { KoaHandler } from '../route.js';
import { browserSecret, sendErrorPage } from './authorize.js';
import { pageErrors } from './login.js';

/** A part of the account page another kind of factor renders (passkeys). */
export interface AccountSection {
  render(live: LiveSession, csrfToken: string): Promise<Markup> | Markup;
  /** A script the section needs (WebAuthn), inlined under the page's CSP nonce. */
  readonly script?: string;
}

export interface AccountEndpointDeps {
  readonly account: Account;
  readonly authorizer: Authorizer;
  readonly cookies: CookieJar;
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
    else sendErrorPage(ctx, step.status, step.error);
  }

  async function show(ctx: Context, live: LiveSession, state: PageState): Promise<void> {
    const csrfToken = account.csrfToken(live);
    const factors = await account.factors(live);
    const model: AccountPageModel = {
      action: deps.path,
      csrfToken,
      email: live.user.email,
      factors: factors.map((factor) => ({ id: factor.id, kind: factor.kind, label: factor.label, addedOn: day(factor.createdAt) })),
      hasTotp: factors.some((factor) => factor.kind === 'totp'),
      recoveryCodesLeft: await account.recoveryCodesLeft(live),
      sections: await Promise.all(deps.sections.map((section) => section.render(live, csrfToken))),
      ...(state.enrolment === undefined ? {} : { enrolment: state.enrolment }),
      ...(state.recoveryCodes === undefined ? {} : { recoveryCodes: state.recoveryCodes }),
      ...(state.notice === undefined ? {} : { notice: state.notice }),
      ...(state.error === undefined ? {} : { error: state.error }),
    };
    const scripts = deps.sections.flatMap((section) => (section.script === undefined ? [] : [section.script]));
    sendPage(ctx, { status: state.status ?? 200, title: 'Your account', content: accountPage(model), scripts });
  }

  const page: KoaHandler = (ctx) =>
    pageErrors(ctx, async () => {
      const live = await account.signedIn(deps.cookies.get(ctx, 'session'));
      if (live === undefined) return signInFirst(ctx, false);
      await show(ctx, live, {});
    });

  const submit: KoaHandler = (ctx) =>
    pageErrors(ctx, async () => {
      const form = await readPageForm(ctx);
      const live = await account.signedIn(deps.cookies.get(ctx, 'session'));
      if (live === undefined) return signInFirst(ctx, false);
      if (!account.csrfMatches(live, field(form, 'csrf'))) {
        return sendErrorPage(ctx, 403, { description: 'The form has expired or did not come from this site. Open your account page again.' });
      }
      if (!account.mayChange(live)) return signInFirst(ctx, true);
      const origin = { requestId: ctx.state.requestId as string | undefined, address: ctx.ip };
      const action = field(form, 'action');
      if (action === 'totp-setup') return show(ctx, live, { enrolment: await account.startTotp(live) });
      if (action === 'totp-verify') {
        const outcome = await account.confirmTotp(live, field(form, 'factor') ?? '', field(form, 'code') ?? '', origin);
        if (outcome.kind === 'wrong') return show(ctx, live, { status: 400, enrolment: outcome.enrolment, error: 'That code is not correct. Check the app and try again.' });
        if (outcome.kind === 'gone') return show(ctx, live, { status: 400, error: 'This set-up has expired. Start again.' });
        return show(ctx, live, {
          notice: 'Your authenticator app is set up.',
          ...(outcome.recoveryCodes === undefined ? {} : { recoveryCodes: outcome.recoveryCodes }),
        });
      }
      if (action === 'factor-remove') {
        const removed = await account.removeTotp(live, field(form, 'factor') ?? '', origin);
        return show(ctx, live, removed ? { notice: 'The authenticator app was removed.' } : { status: 404, error: 'That sign-in method was not found.' });
      }
      if (action === 'recovery-regenerate') {
        return show(ctx, live, { notice: 'New recovery codes replace your old ones.', recoveryCodes: await account.regenerateRecoveryCodes(live, origin) });
      }
      sendErrorPage(ctx, 400, { description: 'Unknown account action.' });
    });

  return { page, submit };
}
