/**
 * Inkan's server-rendered pages: sign-in (password, then a code), consent, sign-out, errors, and
 * the device verification pages (RFC 8628: the user code, then the done page)
 * (the account page is account-page.ts). Plain HTML forms that work
 * without JavaScript, real `<label for>`s, autocomplete hints for password managers, and one
 * inline stylesheet allowed by the page's CSP nonce. Every text comes from the page's message
 * catalogue (i18n/), in the language the request chose; the header shows the operator's brand.
 */
import type { BrandConfig } from '../../config.js';
import type { Locale } from '../../i18n/locales.js';
import { format, type Messages } from '../../i18n/messages.js';
import { refusalText } from '../../i18n/refusals.js';
import { fill, html, Markup } from './markup.js';
import { accentStyle, STYLESHEET } from './style.js';
import { passkeyForm, type PasskeyFormModel } from './passkeys.js';

// A seal (印鑑, inkan): a red rounded square with a carved border; the mark when no logo is configured.
const SEAL = html`<svg viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect x="1" y="1" width="30" height="30" rx="7" fill="#b3261e"/><rect x="5" y="5" width="22" height="22" rx="4" fill="none" stroke="#fff" stroke-width="2"/><path d="M16 9v14M11 12h10M11 20h10" stroke="#fff" stroke-width="2.4" stroke-linecap="round"/></svg>`;

export interface LayoutModel {
  readonly locale: Locale;
  readonly t: Messages;
  readonly brand: BrandConfig;
  readonly title: string;
  readonly nonce: string;
  readonly content: Markup;
  readonly scripts: readonly string[];
}

export function layout(model: LayoutModel): string {
  const { t, brand, nonce } = model;
  // The logo sits beside the name, which says it all: an empty alt keeps screen readers from repeating it.
  const mark = brand.logoUrl === undefined ? SEAL : html`<img src="${brand.logoUrl}" alt="" data-brand-logo>`;
  return html`<!doctype html>
<html lang="${model.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${fill(t.layout.title, { page: model.title, brand: brand.name })}</title>
<style nonce="${nonce}">${new Markup(STYLESHEET + accentStyle(brand.accentColor))}</style>
${model.scripts.map((src) => html`<script src="${src}" nonce="${nonce}" defer></script>
`)}</head>
<body>
<main>
<div class="brand">${mark}<span data-brand-name>${brand.name}</span></div>
${model.content}
</main>
<p class="footer">${t.layout.securedBy}</p>
</body>
</html>
`.html;
}

const alert = (message: string | undefined) => (message === undefined ? '' : html`<p class="alert" role="alert" id="form-error">${message}</p>`);
const strong = (text: string) => html`<strong>${text}</strong>`;

export interface LoginPageModel {
  readonly t: Messages;
  readonly action: string;
  readonly csrfToken: string;
  readonly clientName: string;
  readonly email: string;
  readonly error?: string;
  /** Where a passkey sign-in gets its options and posts its answer; absent: no passkey button. */
  readonly passkey?: PasskeyFormModel;
  /** The client asked for `phr`: say that only a passkey will do. */
  readonly notice?: string;
}

export function loginPage(model: LoginPageModel): Markup {
  const { t } = model;
  const described = model.error === undefined ? '' : 'form-error';
  return html`<h1>${t.login.heading}</h1>
<p class="lead">${fill(t.login.lead, { client: strong(model.clientName) })}</p>
${model.notice === undefined ? '' : html`<p class="notice" id="notice">${model.notice}</p>`}
${alert(model.error)}
<form method="post" action="${model.action}" novalidate>
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="field">
<label for="email">${t.login.email}</label>
<input id="email" name="email" type="email" autocomplete="username" inputmode="email" autocapitalize="none" spellcheck="false" maxlength="320" required value="${model.email}" ${model.email === '' ? html`autofocus` : ''} aria-describedby="${described}">
</div>
<div class="field">
<label for="password">${t.login.password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" maxlength="1024" required ${model.email !== '' ? html`autofocus` : ''} aria-describedby="${described}">
</div>
<button type="submit">${t.login.submit}</button>
</form>
${model.passkey === undefined ? '' : html`<div class="divider" data-passkey-divider hidden><span>${t.login.or}</span></div>
${passkeyForm({ ...model.passkey, ceremony: 'authentication', csrfToken: model.csrfToken, button: t.login.passkey })}`}`;
}

export interface CodePageModel {
  readonly t: Messages;
  readonly action: string;
  readonly csrfToken: string;
  readonly clientName: string;
  readonly email: string | null;
  readonly error?: string;
}

/** The sign-in's second step: a code from the authenticator app, or a recovery code. */
export function codePage(model: CodePageModel): Markup {
  const { t } = model;
  const described = model.error === undefined ? 'code-hint' : 'code-hint form-error';
  return html`<h1>${t.code.heading}</h1>
<p class="lead">${model.email === null ? fill(t.code.lead, { client: strong(model.clientName) }) : fill(t.code.leadAs, { client: strong(model.clientName), email: strong(model.email) })}</p>
${alert(model.error)}
<form method="post" action="${model.action}" novalidate>
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="field">
<label for="code">${t.code.label}</label>
<input id="code" name="code" type="text" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="32" required autofocus aria-describedby="${described}">
<p class="hint" id="code-hint">${t.code.hint}</p>
</div>
<button type="submit">${t.code.submit}</button>
</form>`;
}

export interface ConsentPageModel {
  readonly t: Messages;
  readonly action: string;
  readonly csrfToken: string;
  readonly clientName: string;
  /** The client's registered `logo_uri` (https), shown beside its name. */
  readonly clientLogoUri: string | undefined;
  readonly scopeDescriptions: readonly string[];
  readonly userEmail: string | null;
  /** The request came from a device's user code (RFC 8628 §5.4: warn of remote phishing). */
  readonly forDevice?: boolean;
}

export function consentPage(model: ConsentPageModel): Markup {
  const { t } = model;
  return html`${model.clientLogoUri === undefined ? '' : html`<img class="client-logo" src="${model.clientLogoUri}" alt="${format(t.consent.clientLogo, { client: model.clientName })}" data-client-logo>`}
<h1>${t.consent.heading}</h1>
${model.forDevice === true ? html`<p class="notice" id="notice">${t.consent.deviceNotice}</p>` : ''}
<p class="lead">${fill(t.consent.lead, { client: html`<strong data-client-name>${model.clientName}</strong>` })}</p>
<ul class="scopes">${model.scopeDescriptions.map((text) => html`<li>${text}</li>`)}</ul>
${model.userEmail === null ? '' : html`<p class="account">${fill(t.consent.signedInAs, { email: strong(model.userEmail) })}</p>`}
<form method="post" action="${model.action}">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="actions">
<button type="submit" name="decision" value="allow">${t.consent.allow}</button>
<button type="submit" name="decision" value="deny" class="secondary">${t.consent.deny}</button>
</div>
</form>`;
}

export interface LogoutPageModel {
  readonly t: Messages;
  readonly brandName: string;
  readonly action: string;
  readonly csrfToken: string;
  readonly hidden: Readonly<Record<string, string | undefined>>;
  readonly clientName: string | undefined;
}

export function logoutConfirmPage(model: LogoutPageModel): Markup {
  const { t } = model;
  return html`<h1>${t.logout.heading}</h1>
<p class="lead">${model.clientName === undefined ? fill(t.logout.lead, { brand: model.brandName }) : fill(t.logout.leadClient, { client: strong(model.clientName), brand: model.brandName })}</p>
<form method="post" action="${model.action}">
<input type="hidden" name="csrf" value="${model.csrfToken}">
${Object.entries(model.hidden).map(([name, value]) => (value === undefined ? '' : html`<input type="hidden" name="${name}" value="${value}">`))}
<div class="actions">
<button type="submit" name="confirm" value="yes">${t.logout.submit}</button>
</div>
</form>`;
}

export function signedOutPage(t: Messages): Markup {
  return html`<h1>${t.logout.doneHeading}</h1>
<p class="lead">${t.logout.doneLead}</p>`;
}

export function errorPage(t: Messages, heading: string, message: string): Markup {
  return html`<h1>${heading}</h1>
<p class="alert" role="alert">${message}</p>
<p class="lead">${t.error.lead}</p>`;
}

export interface DeviceCodePageModel {
  readonly t: Messages;
  readonly action: string;
  readonly csrfToken: string;
  /** Prefilled from `verification_uri_complete`, or what was typed. */
  readonly userCode: string;
  /** Why the code was refused (login/device-verification.ts). */
  readonly refusal?: { readonly reason: 'wrong_code' } | { readonly reason: 'throttled'; readonly retryAfterSeconds: number };
}

/** RFC 8628 §3.3: where the person types the code their device shows. */
export function deviceCodePage(model: DeviceCodePageModel): Markup {
  const { t, refusal } = model;
  const error =
    refusal === undefined
      ? undefined
      : refusal.reason === 'throttled'
        ? refusalText(t, { key: 'deviceCodeThrottled', waitSeconds: refusal.retryAfterSeconds })
        : refusalText(t, { key: 'deviceCodeWrong' });
  const described = error === undefined ? 'code-hint' : 'code-hint form-error';
  return html`<h1>${t.device.heading}</h1>
<p class="lead">${t.device.lead}</p>
${alert(error)}
<form method="post" action="${model.action}" novalidate>
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="field">
<label for="code">${t.device.label}</label>
<input id="code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="32" required autofocus value="${model.userCode}" aria-describedby="${described}">
<p class="hint" id="code-hint">${t.device.hint}</p>
</div>
<button type="submit">${t.device.submit}</button>
</form>`;
}

/** The title of a device page, by page. */
export function devicePageTitle(t: Messages, page: 'code' | 'approved' | 'denied'): string {
  return page === 'code' ? t.device.title : page === 'approved' ? t.device.approvedTitle : t.device.deniedTitle;
}

/** After Allow or Deny: the person goes back to the device. */
export function deviceDonePage(t: Messages, result: 'approved' | 'denied'): Markup {
  return result === 'approved'
    ? html`<h1>${t.device.approvedTitle}</h1>
<p class="lead">${t.device.approvedLead}</p>`
    : html`<h1>${t.device.deniedTitle}</h1>
<p class="lead">${t.device.deniedLead}</p>`;
}
