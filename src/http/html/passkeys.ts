/**
 * The passkey parts of Inkan's pages: a ceremony's form (the sign-in page's "Sign in with a
 * passkey", the account page's "Add a passkey"), driven by the page script
 * (passkey-script.ts), and the account page's list of passkeys with their rename and remove
 * forms. Every control has a label a screen reader reads out with the passkey's name.
 */
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

export interface PasskeySectionModel {
  readonly passkeys: readonly PasskeyListItem[];
  readonly csrfToken: string;
  /** POST targets: options and answer of "Add a passkey", rename, remove. */
  readonly add: PasskeyFormModel;
  readonly renameAction: string;
  readonly removeAction: string;
  /** False when changes need a fresh sign-in first: the forms are not shown. */
  readonly mayChange: boolean;
  /** The passkey name limit (passkeys/ceremonies.ts). */
  readonly nameMaxLength: number;
}

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

function passkeyRow(model: PasskeySectionModel, passkey: PasskeyListItem, index: number): Markup {
  const used = passkey.lastUsedAt === null ? 'never used' : `last used ${day(passkey.lastUsedAt)}`;
  return html`<li class="factor" data-passkey-id="${passkey.id}">
<div class="factor-head"><strong>${passkey.name}</strong> <span class="muted">${passkey.synced ? 'synced' : 'this device only'} · added ${day(passkey.createdAt)} · ${used}</span></div>
${model.mayChange
  ? html`<form method="post" action="${model.renameAction}" class="inline">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<input type="hidden" name="id" value="${passkey.id}">
<label for="passkey-name-${index}">New name for ${passkey.name}</label>
<input id="passkey-name-${index}" name="name" type="text" maxlength="${model.nameMaxLength}" required value="${passkey.name}">
<button type="submit" class="secondary" aria-label="Rename passkey ${passkey.name}">Rename</button>
</form>
<form method="post" action="${model.removeAction}" class="inline">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<input type="hidden" name="id" value="${passkey.id}">
<button type="submit" class="secondary" aria-label="Remove passkey ${passkey.name}">Remove</button>
</form>`
  : ''}
</li>`;
}

/** The account page's passkey section: the list, and "Add a passkey" with a name field. */
export function passkeySection(model: PasskeySectionModel): Markup {
  return html`<section class="passkeys" aria-labelledby="passkeys-title">
<h2 id="passkeys-title">Passkeys</h2>
${model.passkeys.length === 0
  ? html`<p class="muted">No passkeys yet. A passkey signs you in with your device's screen lock, without a password.</p>`
  : html`<ul class="factors">${model.passkeys.map((passkey, index) => passkeyRow(model, passkey, index))}</ul>`}
${model.mayChange
  ? passkeyForm({
      ...model.add,
      ceremony: 'registration',
      csrfToken: model.csrfToken,
      button: 'Add a passkey',
      fields: html`<div class="field">
<label for="new-passkey-name">Passkey name</label>
<input id="new-passkey-name" name="name" type="text" maxlength="${model.nameMaxLength}" placeholder="e.g. Laptop" autocomplete="off">
</div>
`,
    })
  : ''}
</section>`;
}
