/**
 * The passkey parts of Inkan's pages: a ceremony's form (the sign-in page's "Sign in with a
 * passkey", the account page's "Add a passkey"), driven by the page script
 * (passkey-script.ts), and the account page's list of passkeys with their rename and remove
 * forms. Every control has a label a screen reader reads out with the passkey's name.
 */
import { format, type Messages } from '../../i18n/messages.js';
import { html, type Markup } from './markup.js';

export interface PasskeyFormModel {
  /** Where the script gets the ceremony's options (POST, the form's CSRF token). */
  readonly optionsUrl: string;
  /** Where the form posts the answer. */
  readonly action: string;
}

/**
 * A passkey ceremony's form: hidden until the script finds WebAuthn in the browser; the button
 * fetches the options, runs the ceremony, puts the answer in the `credential` field and submits
 * the form. `fields` are shown inside it (the account page's name field).
 */
export function passkeyForm(model: PasskeyFormModel & { ceremony: 'authentication' | 'registration'; csrfToken: string; button: string; fields?: Markup }): Markup {
  return html`<form method="post" action="${model.action}" class="passkey" data-passkey="${model.ceremony}" data-options="${model.optionsUrl}" hidden>
<input type="hidden" name="csrf" value="${model.csrfToken}">
<input type="hidden" name="credential" value="">
${model.fields ?? ''}<button type="button" class="secondary" data-passkey-start>${model.button}</button>
<p class="alert" role="alert" data-passkey-error hidden></p>
</form>`;
}

/** One passkey as the account page lists it. */
export interface PasskeyListItem {
  readonly id: string;
  readonly name: string;
  /** Backup eligible: a synced passkey (on every device of its provider's account). */
  readonly synced: boolean;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/** The account page's actions (its POST field `action`) that the passkey section's forms send. */
export const PASSKEY_ACTIONS = { add: 'passkey-add', rename: 'passkey-rename', remove: 'passkey-remove', reauthenticate: 'passkey-reauthenticate' } as const;

export interface PasskeySectionModel {
  readonly t: Messages;
  readonly passkeys: readonly PasskeyListItem[];
  readonly csrfToken: string;
  /** The account page, where every form of the section posts (with its `action`). */
  readonly action: string;
  /** Where "Add a passkey" gets its WebAuthn options. */
  readonly optionsUrl: string;
  /** False when adding needs a fresh sign-in first: a "sign in again" button instead of "Add a passkey". */
  readonly mayChange: boolean;
  /** The passkey name limit (passkeys/ceremonies.ts). */
  readonly nameMaxLength: number;
}

const hiddenFields = (csrfToken: string, action: string) => html`<input type="hidden" name="csrf" value="${csrfToken}">
<input type="hidden" name="action" value="${action}">`;

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

function passkeyRow(model: PasskeySectionModel, passkey: PasskeyListItem, index: number): Markup {
  const { t } = model;
  const used = passkey.lastUsedAt === null ? t.passkeys.neverUsed : format(t.passkeys.lastUsed, { date: day(passkey.lastUsedAt) });
  return html`<li data-passkey-id="${passkey.id}">
<span class="factor-name">${passkey.name}</span> <span class="factor-meta">${passkey.synced ? t.passkeys.synced : t.passkeys.thisDevice} · ${format(t.passkeys.added, { date: day(passkey.createdAt) })} · ${used}</span>
<form method="post" action="${model.action}" class="rename">
${hiddenFields(model.csrfToken, PASSKEY_ACTIONS.rename)}
<input type="hidden" name="id" value="${passkey.id}">
<label for="passkey-name-${index}" class="visually-hidden">${format(t.passkeys.newName, { name: passkey.name })}</label>
<input id="passkey-name-${index}" name="name" type="text" maxlength="${model.nameMaxLength}" required value="${passkey.name}">
<button type="submit" class="secondary small" aria-label="${format(t.passkeys.renameLabel, { name: passkey.name })}">${t.passkeys.rename}</button>
</form>
<form method="post" action="${model.action}" class="inline">
${hiddenFields(model.csrfToken, PASSKEY_ACTIONS.remove)}
<input type="hidden" name="id" value="${passkey.id}">
<button type="submit" class="secondary small" aria-label="${format(t.passkeys.removeLabel, { name: passkey.name })}">${t.passkeys.remove}</button>
</form>
</li>`;
}

/** The account page's passkey section: the list, and "Add a passkey" with a name field. */
export function passkeySection(model: PasskeySectionModel): Markup {
  const { t } = model;
  return html`<section class="panel passkeys" aria-labelledby="passkeys-title">
<h2 id="passkeys-title">${t.passkeys.heading}</h2>
${model.passkeys.length === 0
  ? html`<p class="hint">${t.passkeys.none}</p>`
  : html`<ul class="factors">${model.passkeys.map((passkey, index) => passkeyRow(model, passkey, index))}</ul>`}
${model.mayChange
  ? passkeyForm({
      action: model.action,
      optionsUrl: model.optionsUrl,
      ceremony: 'registration',
      csrfToken: model.csrfToken,
      button: t.passkeys.add,
      fields: html`<input type="hidden" name="action" value="${PASSKEY_ACTIONS.add}">
<div class="field">
<label for="new-passkey-name">${t.passkeys.nameLabel}</label>
<input id="new-passkey-name" name="name" type="text" maxlength="${model.nameMaxLength}" placeholder="${t.passkeys.namePlaceholder}" autocomplete="off">
</div>
`,
    })
  : html`<form method="post" action="${model.action}">
${hiddenFields(model.csrfToken, PASSKEY_ACTIONS.reauthenticate)}
<button type="submit" class="secondary">${t.passkeys.signInAgain}</button>
</form>`}
</section>`;
}
