/**
 * The account page (/account): the person's sign-in methods, setting up an authenticator app,
 * recovery codes, and the place where other kinds of factors (passkeys) put their section. Plain
 * forms that work without JavaScript, real labels, and the data attributes the operator contract
 * names (`data-totp-secret`, `data-totp-uri`, `data-recovery-code`).
 */
import { format, type Messages } from '../../i18n/messages.js';
import { fill, html, type Markup } from './markup.js';
import { qrCodeSvg } from './qr-code.js';

export interface AccountFactorView {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly addedOn: string;
}

export interface AccountPageModel {
  readonly t: Messages;
  /** The organisation's name, as the authenticator app lists the account. */
  readonly brandName: string;
  readonly action: string;
  readonly csrfToken: string;
  readonly email: string;
  readonly factors: readonly AccountFactorView[];
  readonly hasTotp: boolean;
  readonly recoveryCodesLeft: number;
  /** Shown once: an enrolment in progress. */
  readonly enrolment?: { readonly factorId: string; readonly secret: string; readonly uri: string };
  /** Shown once: new recovery codes. */
  readonly recoveryCodes?: readonly string[];
  /** What the last change did (role=status). */
  readonly notice?: string;
  /** An error of the last form (role=alert). */
  readonly error?: string;
  /** Sections other factor kinds render (passkeys), placed with the sign-in methods. */
  readonly sections: readonly Markup[];
}

const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

/** A factor's name on the page: the kind's own word where the label is only the kind's (an authenticator app). */
const factorName = (t: Messages, factor: AccountFactorView) => (factor.kind === 'totp' ? t.account.authenticatorApp : factor.label);

function factorList(model: AccountPageModel): Markup {
  const { t } = model;
  return html`<ul class="factors" aria-label="${t.account.methods}">
<li><span class="factor-name">${t.account.password}</span></li>
${model.factors.map(
  (factor) => html`<li data-factor-kind="${factor.kind}" data-factor-id="${factor.id}">
<span class="factor-name">${factorName(t, factor)}</span> <span class="factor-meta">${format(t.account.added, { date: factor.addedOn })}</span>
${
  factor.kind === 'totp'
    ? html`<form method="post" action="${model.action}" class="inline">${csrfField(model.csrfToken)}<input type="hidden" name="action" value="factor-remove"><input type="hidden" name="factor" value="${factor.id}"><button type="submit" class="secondary small" aria-label="${format(t.account.removeFactor, { factor: factorName(t, factor) })}">${t.account.remove}</button></form>`
    : ''
}
</li>`,
)}
</ul>`;
}

function enrolmentSection(model: AccountPageModel): Markup {
  const { t } = model;
  const enrolment = model.enrolment!;
  return html`<section class="panel" aria-labelledby="totp-heading">
<h2 id="totp-heading">${t.account.setUpHeading}</h2>
<p>${t.account.scan}</p>
${qrCodeSvg(enrolment.uri, t.account.qrLabel)}
<p class="secret-line">${t.account.key} <code data-totp-secret>${enrolment.secret}</code></p>
<details><summary>${t.account.appLink}</summary><p><a class="uri" data-totp-uri href="${enrolment.uri}">${enrolment.uri}</a></p></details>
<form method="post" action="${model.action}" novalidate>
${csrfField(model.csrfToken)}
<input type="hidden" name="action" value="totp-verify">
<input type="hidden" name="factor" value="${enrolment.factorId}">
<div class="field">
<label for="code">${t.account.code}</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="10" required autofocus aria-describedby="code-hint${model.error === undefined ? '' : ' form-error'}">
<p class="hint" id="code-hint">${format(t.account.codeHint, { brand: model.brandName })}</p>
</div>
<button type="submit">${t.account.verify}</button>
</form>
</section>`;
}

function recoverySection(model: AccountPageModel): Markup {
  const { t } = model;
  if (model.recoveryCodes !== undefined) {
    return html`<section class="panel" aria-labelledby="recovery-heading">
<h2 id="recovery-heading">${t.account.newRecoveryHeading}</h2>
<p>${t.account.newRecoveryText}</p>
<ol class="recovery-codes">${model.recoveryCodes.map((code) => html`<li><code data-recovery-code>${code}</code></li>`)}</ol>
</section>`;
  }
  if (!model.hasTotp) return html``;
  return html`<section class="panel" aria-labelledby="recovery-heading">
<h2 id="recovery-heading">${t.account.recoveryHeading}</h2>
<p>${format(t.account.recoveryLeft, { count: model.recoveryCodesLeft })}</p>
<form method="post" action="${model.action}">${csrfField(model.csrfToken)}<input type="hidden" name="action" value="recovery-regenerate"><button type="submit" class="secondary">${t.account.newRecoveryCodes}</button></form>
</section>`;
}

export function accountPage(model: AccountPageModel): Markup {
  const { t } = model;
  return html`<h1>${t.account.heading}</h1>
<p class="lead">${fill(t.account.signedInAs, { email: html`<strong>${model.email}</strong>` })}</p>
${model.notice === undefined ? '' : html`<p class="notice" role="status">${model.notice}</p>`}
${model.error === undefined ? '' : html`<p class="alert" role="alert" id="form-error">${model.error}</p>`}
<section aria-labelledby="methods-heading">
<h2 id="methods-heading">${t.account.methods}</h2>
${factorList(model)}
${
  model.enrolment !== undefined
    ? enrolmentSection(model)
    : model.hasTotp
      ? ''
      : html`<form method="post" action="${model.action}">${csrfField(model.csrfToken)}<input type="hidden" name="action" value="totp-setup"><button type="submit">${t.account.setUpApp}</button></form>`
}
<div class="factor-sections" data-factor-sections>${model.sections}</div>
</section>
${recoverySection(model)}`;
}
