/**
 * The account page (/account): the person's sign-in methods, setting up an authenticator app,
 * recovery codes, and the place where other kinds of factors (passkeys) put their section. Plain
 * forms that work without JavaScript, real labels, and the data attributes the operator contract
 * names (`data-totp-secret`, `data-totp-uri`, `data-recovery-code`).
 */
import { html, type Markup } from './markup.js';
import { qrCodeSvg } from './qr-code.js';

export interface AccountFactorView {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly addedOn: string;
}

export interface AccountPageModel {
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

function factorList(model: AccountPageModel): Markup {
  return html`<ul class="factors" aria-label="Sign-in methods">
<li><span class="factor-name">Password</span></li>
${model.factors.map(
  (factor) => html`<li data-factor-kind="${factor.kind}" data-factor-id="${factor.id}">
<span class="factor-name">${factor.label}</span> <span class="factor-meta">added ${factor.addedOn}</span>
${
  factor.kind === 'totp'
    ? html`<form method="post" action="${model.action}" class="inline">${csrfField(model.csrfToken)}<input type="hidden" name="action" value="factor-remove"><input type="hidden" name="factor" value="${factor.id}"><button type="submit" class="secondary small" aria-label="Remove ${factor.label}">Remove</button></form>`
    : ''
}
</li>`,
)}
</ul>`;
}

function enrolmentSection(model: AccountPageModel): Markup {
  const enrolment = model.enrolment!;
  return html`<section class="panel" aria-labelledby="totp-heading">
<h2 id="totp-heading">Set up your authenticator app</h2>
<p>Scan this code with your authenticator app, or type the key in.</p>
${qrCodeSvg(enrolment.uri, 'Scannable key for your authenticator app')}
<p class="secret-line">Key: <code data-totp-secret>${enrolment.secret}</code></p>
<details><summary>Link for apps on this device</summary><p><a class="uri" data-totp-uri href="${enrolment.uri}">${enrolment.uri}</a></p></details>
<form method="post" action="${model.action}" novalidate>
${csrfField(model.csrfToken)}
<input type="hidden" name="action" value="totp-verify">
<input type="hidden" name="factor" value="${enrolment.factorId}">
<div class="field">
<label for="code">Code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="10" required autofocus aria-describedby="code-hint${model.error === undefined ? '' : ' form-error'}">
<p class="hint" id="code-hint">The 6-digit code the app shows for Inkan.</p>
</div>
<button type="submit">Verify</button>
</form>
</section>`;
}

function recoverySection(model: AccountPageModel): Markup {
  if (model.recoveryCodes !== undefined) {
    return html`<section class="panel" aria-labelledby="recovery-heading">
<h2 id="recovery-heading">Your recovery codes</h2>
<p>Keep these somewhere safe. Each one signs you in once if you lose your authenticator app. They are shown only now.</p>
<ol class="recovery-codes">${model.recoveryCodes.map((code) => html`<li><code data-recovery-code>${code}</code></li>`)}</ol>
</section>`;
  }
  if (!model.hasTotp) return html``;
  return html`<section class="panel" aria-labelledby="recovery-heading">
<h2 id="recovery-heading">Recovery codes</h2>
<p>${model.recoveryCodesLeft} of 10 recovery codes left.</p>
<form method="post" action="${model.action}">${csrfField(model.csrfToken)}<input type="hidden" name="action" value="recovery-regenerate"><button type="submit" class="secondary">Get new recovery codes</button></form>
</section>`;
}

export function accountPage(model: AccountPageModel): Markup {
  return html`<h1>Your account</h1>
<p class="lead">Signed in as <strong>${model.email}</strong></p>
${model.notice === undefined ? '' : html`<p class="notice" role="status">${model.notice}</p>`}
${model.error === undefined ? '' : html`<p class="alert" role="alert" id="form-error">${model.error}</p>`}
<section aria-labelledby="methods-heading">
<h2 id="methods-heading">Sign-in methods</h2>
${factorList(model)}
${
  model.enrolment !== undefined
    ? enrolmentSection(model)
    : model.hasTotp
      ? ''
      : html`<form method="post" action="${model.action}">${csrfField(model.csrfToken)}<input type="hidden" name="action" value="totp-setup"><button type="submit">Set up an authenticator app</button></form>`
}
<div class="factor-sections" data-factor-sections>${model.sections}</div>
</section>
${recoverySection(model)}`;
}
