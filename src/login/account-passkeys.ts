/**
 * The account page's passkeys, without HTTP (http/endpoints/account-passkeys.ts renders them):
 * the person's list, and adding (a WebAuthn registration), renaming and removing one. The page's
 * rules are login/account.ts's: a live session, the page's CSRF token, and a sign-in at most
 * REAUTHENTICATE_AFTER_SECONDS old before any change (the account endpoint checks the last two
 * before `add`, `rename` and `remove`; `registrationOptions` checks them itself, being an
 * endpoint of its own). A registration's challenge is bound to the login session.
 */
import type { RequestOrigin } from '../audit/audit-log.js';
import { passkeyName, type PasskeyCeremonies, type RegistrationOptions } from '../passkeys/ceremonies.js';
import type { PasskeyRecord } from '../storage/passkeys.js';
import type { Account } from './account.js';
import type { LiveSession } from './sessions.js';
import type { Refusal } from '../i18n/refusals.js';

/** What a change did, for the account page to say in its language (the catalogues' `passkeys` and `refusals`). */
export type PasskeyChange =
  | { readonly kind: 'added' | 'renamed'; readonly name: string }
  | { readonly kind: 'removed' }
  | { readonly kind: 'refused'; readonly status: number; readonly refusal: Refusal };

const NOT_FOUND: PasskeyChange = { kind: 'refused', status: 404, refusal: { key: 'passkeyNotFound' } };

export type RegistrationOptionsOutcome =
  | { readonly kind: 'options'; readonly options: RegistrationOptions }
  /** No live session, a wrong CSRF token, or a sign-in too old to change anything: what the page script shows. */
  | { readonly kind: 'refused'; readonly status: number; readonly message: string };

function registrationBinding(live: LiveSession): string {
  return `account:${live.session.id}`;
}

export class AccountPasskeys {
  constructor(private readonly deps: { readonly account: Pick<Account, 'signedIn' | 'csrfMatches' | 'mayChange'>; readonly passkeys: PasskeyCeremonies }) {}

  list(live: LiveSession): Promise<PasskeyRecord[]> {
    return this.deps.passkeys.list(live.user.id);
  }

  mayChange(live: LiveSession): boolean {
    return this.deps.account.mayChange(live);
  }

  /** POST /account/passkeys/options: the options of `navigator.credentials.create()` for this person. */
  async registrationOptions(sessionSecret: string | undefined, csrf: string | undefined): Promise<RegistrationOptionsOutcome> {
    const live = await this.deps.account.signedIn(sessionSecret);
    if (live === undefined) return { kind: 'refused', status: 401, message: 'You are signed out. Reload the page and sign in again.' };
    if (!this.deps.account.csrfMatches(live, csrf)) return { kind: 'refused', status: 403, message: 'The page has expired. Reload it and try again.' };
    if (!this.deps.account.mayChange(live)) return { kind: 'refused', status: 403, message: 'Sign in again to add a passkey: reload the page.' };
    return { kind: 'options', options: await this.deps.passkeys.registrationOptions(live.user, registrationBinding(live)) };
  }

  /** The answer to `registrationOptions`, stored under the person's name for it (a default when empty). */
  async add(live: LiveSession, credential: string | undefined, name: string | undefined, origin: RequestOrigin): Promise<PasskeyChange> {
    const count = (await this.deps.passkeys.list(live.user.id)).length;
    const registered = await this.deps.passkeys.register(live.user, registrationBinding(live), credential, passkeyName(name, `Passkey ${count + 1}`), origin);
    if (!registered.ok) return { kind: 'refused', status: 400, refusal: registered.refusal };
    return { kind: 'added', name: registered.value.name };
  }

  async rename(live: LiveSession, id: string | undefined, name: string | undefined, origin: RequestOrigin): Promise<PasskeyChange> {
    const newName = passkeyName(name, '');
    if (newName === '') return { kind: 'refused', status: 400, refusal: { key: 'passkeyNameMissing' } };
    const renamed = id !== undefined && (await this.deps.passkeys.rename(live.user.id, id, newName, origin));
    return renamed ? { kind: 'renamed', name: newName } : NOT_FOUND;
  }

  async remove(live: LiveSession, id: string | undefined, origin: RequestOrigin): Promise<PasskeyChange> {
    const removed = id !== undefined && (await this.deps.passkeys.remove(live.user.id, id, origin));
    return removed ? { kind: 'removed' } : NOT_FOUND;
  }
}
