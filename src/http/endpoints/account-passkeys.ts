/**
 * The passkeys of the account page (login/account-passkeys.ts has the rules): a section of the
 * page (account.ts `AccountSection`) with the person's passkeys, their rename and remove forms and
 * "Add a passkey", the page actions those forms post (after the page's CSRF and fresh sign-in
 * checks), and POST /account/passkeys/options, the JSON options of a registration that the page
 * script fetches (errors as RFC 6749-style JSON: 401 signed out, 403 a wrong CSRF token or a
 * sign-in too old to add a passkey).
 */
import type { AccountPasskeys } from '../../login/account-passkeys.js';
import { PASSKEY_NAME_MAX_LENGTH } from '../../passkeys/ceremonies.js';
import { OAuthError } from '../../oauth/errors.js';
import type { CookieJar } from '../cookies.js';
import { PASSKEY_ACTIONS, passkeySection } from '../html/passkeys.js';
import type { PasskeyChange } from '../../login/account-passkeys.js';
import { format, type Messages } from '../../i18n/messages.js';
import { refusalText } from '../../i18n/refusals.js';
import { field, readPageForm } from '../page-form.js';
import { setNoStore } from '../page.js';
import type { KoaHandler } from '../route.js';
import type { AccountSection, SectionOutcome } from './account.js';

/** What the page says of a change, in its language. */
function said(change: PasskeyChange, t: Messages): SectionOutcome {
  switch (change.kind) {
    case 'added':
      return { notice: format(t.passkeys.addedNotice, { name: change.name }) };
    case 'renamed':
      return { notice: format(t.passkeys.renamedNotice, { name: change.name }) };
    case 'removed':
      return { notice: t.passkeys.removedNotice };
    case 'refused':
      return { status: change.status, error: refusalText(t, change.refusal) };
  }
}

export interface AccountPasskeyDeps {
  readonly passkeys: AccountPasskeys;
  readonly cookies: CookieJar;
  /** The account page's path as the browser sees it, where the section's forms post. */
  readonly accountPath: string;
  /** The options endpoint's path as the browser sees it. */
  readonly optionsPath: string;
  /** The scripts of a page with a passkey ceremony (endpoints/assets.ts). */
  readonly scripts: readonly string[];
}

export function accountPasskeyEndpoints(deps: AccountPasskeyDeps): { readonly section: AccountSection; readonly options: KoaHandler } {
  const section: AccountSection = {
    scripts: deps.scripts,
    async render(live, csrfToken, t) {
      const passkeys = await deps.passkeys.list(live);
      return passkeySection({
        t,
        passkeys: passkeys.map((passkey) => ({ id: passkey.id, name: passkey.name, synced: passkey.backupEligible, createdAt: passkey.createdAt, lastUsedAt: passkey.lastUsedAt })),
        csrfToken,
        action: deps.accountPath,
        optionsUrl: deps.optionsPath,
        mayChange: deps.passkeys.mayChange(live),
        nameMaxLength: PASSKEY_NAME_MAX_LENGTH,
      });
    },
    async handle(action, form, live, origin, t) {
      switch (action) {
        case PASSKEY_ACTIONS.add:
          return said(await deps.passkeys.add(live, field(form, 'credential'), field(form, 'name'), origin), t);
        case PASSKEY_ACTIONS.rename:
          return said(await deps.passkeys.rename(live, field(form, 'id'), field(form, 'name'), origin), t);
        case PASSKEY_ACTIONS.remove:
          return said(await deps.passkeys.remove(live, field(form, 'id'), origin), t);
        // The account page asked for a fresh sign-in before it got here; now the page again.
        case PASSKEY_ACTIONS.reauthenticate:
          return {};
        default:
          return undefined;
      }
    },
  };

  const options: KoaHandler = async (ctx) => {
    const form = await readPageForm(ctx);
    const outcome = await deps.passkeys.registrationOptions(deps.cookies.get(ctx, 'session'), field(form, 'csrf'));
    if (outcome.kind === 'refused') throw new OAuthError('invalid_request', outcome.message, { status: outcome.status });
    setNoStore(ctx);
    ctx.body = outcome.options;
  };

  return { section, options };
}
