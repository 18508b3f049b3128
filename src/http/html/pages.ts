/**
 * Inkan's server-rendered pages: sign-in (password, then a code), consent, sign-out, errors, and
 * the device verification pages (RFC 8628: the user code, then the done page)
 * (the account page is account-page.ts). Plain HTML forms that work
 * without JavaScript, real `<label for>`s, autocomplete hints for password managers, and one
 * inline stylesheet allowed by the page's CSP nonce.
 */
import { html, Markup } from './markup.js';
import { STYLESHEET } from './style.js';
import { passkeyForm, type PasskeyFormModel } from './passkeys.js';

// A seal (印鑑, inkan): a red rounded square with a carved border.
const LOGO = html`<svg viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect x="1" y="1" width="30" height="30" rx="7" fill="#b3261e"/><rect x="5" y="5" width="22" height="22" rx="4" fill="none" stroke="#fff" stroke-width="2"/><path d="M16 9v14M11 12h10M11 20h10" stroke="#fff" stroke-width="2.4" stroke-linecap="round"/></svg>`;

export function layout(title: string, nonce: string, content: Markup, scripts: readonly string[] = []): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${title} · Inkan</title>
<style nonce="${nonce}">${new Markup(STYLESHEET)}</style>
${scripts.map((src) => html`<script src="${src}" nonce="${nonce}" defer></script>
`)}</head>
<body>
<main>
<div class="brand">${LOGO}<span>Inkan</span></div>
${content}
</main>
<p class="footer">Secured by Inkan</p>
</body>
</html>
`.html;
}

const alert = (message: string | undefined) => (message === undefined ? '' : html`<p class="alert" role="alert" id="form-error">${message}</p>`);

export interface LoginPageModel {
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
  const described = model.error === undefined ? '' : 'form-error';
  return html`<h1>Sign in</h1>
<p class="lead">to continue to <strong>${model.clientName}</strong></p>
${model.notice === undefined ? '' : html`<p class="notice" id="notice">${model.notice}</p>`}
${alert(model.error)}
<form method="post" action="${model.action}" novalidate>
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="field">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" inputmode="email" autocapitalize="none" spellcheck="false" maxlength="320" required value="${model.email}" ${model.email === '' ? html`autofocus` : ''} aria-describedby="${described}">
</div>
<div class="field">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" maxlength="1024" required ${model.email !== '' ? html`autofocus` : ''} aria-describedby="${described}">
</div>
<button type="submit">Sign in</button>
</form>
${model.passkey === undefined ? '' : html`<div class="divider" data-passkey-divider hidden><span>or</span></div>
${passkeyForm({ ...model.passkey, ceremony: 'authentication', csrfToken: model.csrfToken, button: 'Sign in with a passkey' })}`}`;
}

export interface CodePageModel {
  readonly action: string;
  readonly csrfToken: string;
  readonly clientName: string;
  readonly email: string | null;
  readonly error?: string;
}

/** The sign-in's second step: a code from the authenticator app, or a recovery code. */
export function codePage(model: CodePageModel): Markup {
  const described = model.error === undefined ? 'code-hint' : 'code-hint form-error';
  return html`<h1>Enter your code</h1>
<p class="lead">to continue to <strong>${model.clientName}</strong>${model.email === null ? '' : html` as <strong>${model.email}</strong>`}</p>
${alert(model.error)}
<form method="post" action="${model.action}" novalidate>
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="field">
<label for="code">Code</label>
<input id="code" name="code" type="text" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="32" required autofocus aria-describedby="${described}">
<p class="hint" id="code-hint">The 6-digit code your authenticator app shows, or one of your recovery codes.</p>
</div>
<button type="submit">Verify</button>
</form>`;
}

export interface ConsentPageModel {
  readonly action: string;
  readonly csrfToken: string;
  readonly clientName: string;
  readonly scopeDescriptions: readonly string[];
  readonly userEmail: string | null;
  /** The request came from a device's user code (RFC 8628 §5.4: warn of remote phishing). */
  readonly forDevice?: boolean;
}

export function consentPage(model: ConsentPageModel): Markup {
  return html`<h1>Allow access?</h1>
${model.forDevice === true ? html`<p class="notice" id="notice">You are signing in on another device. Allow only if you started this on a device of your own, right now.</p>` : ''}
<p class="lead"><strong>${model.clientName}</strong> would like to:</p>
<ul class="scopes">${model.scopeDescriptions.map((text) => html`<li>${text}</li>`)}</ul>
${model.userEmail === null ? '' : html`<p class="account">Signed in as <strong>${model.userEmail}</strong></p>`}
<form method="post" action="${model.action}">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="actions">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>`;
}

export interface LogoutPageModel {
  readonly action: string;
  readonly csrfToken: string;
  readonly hidden: Readonly<Record<string, string | undefined>>;
  readonly clientName: string | undefined;
}

export function logoutConfirmPage(model: LogoutPageModel): Markup {
  return html`<h1>Sign out?</h1>
<p class="lead">${model.clientName === undefined ? 'You will be signed out of Inkan on this device.' : html`<strong>${model.clientName}</strong> asks to sign you out of Inkan on this device.`}</p>
<form method="post" action="${model.action}">
<input type="hidden" name="csrf" value="${model.csrfToken}">
${Object.entries(model.hidden).map(([name, value]) => (value === undefined ? '' : html`<input type="hidden" name="${name}" value="${value}">`))}
<div class="actions">
<button type="submit" name="confirm" value="yes">Sign out</button>
</div>
</form>`;
}

export function signedOutPage(): Markup {
  return html`<h1>You are signed out</h1>
<p class="lead">You can close this window.</p>`;
}

export function errorPage(title: string, message: string): Markup {
  return html`<h1>${title}</h1>
<p class="alert" role="alert">${message}</p>
<p class="lead">Go back to the application you came from and try again.</p>`;
}

export interface DeviceCodePageModel {
  readonly action: string;
  readonly csrfToken: string;
  /** Prefilled from `verification_uri_complete`, or what was typed. */
  readonly userCode: string;
  /** Why the code was refused (login/device-verification.ts). */
  readonly refusal?: { readonly reason: 'wrong_code' } | { readonly reason: 'throttled'; readonly retryAfterSeconds: number };
}

/** RFC 8628 §3.3: where the person types the code their device shows. */
export function deviceCodePage(model: DeviceCodePageModel): Markup {
  const refusal = model.refusal;
  const error =
    refusal === undefined
      ? undefined
      : refusal.reason === 'throttled'
        ? `Too many wrong codes were typed from your network. Wait ${refusal.retryAfterSeconds} seconds, then try again.`
        : 'That code is not valid or has expired. Check the code on your device and try again.';
  const described = error === undefined ? 'code-hint' : 'code-hint form-error';
  return html`<h1>Connect a device</h1>
<p class="lead">Enter the code shown on your device.</p>
${alert(error)}
<form method="post" action="${model.action}" novalidate>
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="field">
<label for="code">Code</label>
<input id="code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="32" required autofocus value="${model.userCode}" aria-describedby="${described}">
<p class="hint" id="code-hint">Eight letters, like BCDF-GHJK.</p>
</div>
<button type="submit">Continue</button>
</form>`;
}

/** The title of the device pages, by page. */
export const DEVICE_PAGE_TITLES = { code: 'Connect a device', approved: 'Device connected', denied: 'Device not connected' } as const;

/** After Allow or Deny: the person goes back to the device. */
export function deviceDonePage(result: 'approved' | 'denied'): Markup {
  return result === 'approved'
    ? html`<h1>${DEVICE_PAGE_TITLES.approved}</h1>
<p class="lead">You can return to your device. It will continue on its own in a few seconds.</p>`
    : html`<h1>${DEVICE_PAGE_TITLES.denied}</h1>
<p class="lead">You denied access. You can return to your device and close this window.</p>`;
}
