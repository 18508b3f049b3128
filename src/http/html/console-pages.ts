/**
 * The operator console's pages (http/endpoints/console.ts): clients, people, a person's sessions
 * and signing keys. Plain server-rendered forms that work without JavaScript; every value is
 * escaped by `html` (a client name or an email is data, never markup); every form that changes
 * something carries the console's CSRF token. Destructive forms carry `data-confirm` for the
 * console script (console-script.ts), which asks before they are sent; revoking a key is also
 * confirmed on the page itself (a checkbox the server requires), so it holds without the script.
 * English only: the console is for the operator, the person-facing pages are translated.
 */
import { SIGNING_ALGS } from '../../storage/keys.js';
import { html, type Markup } from './markup.js';

/** Every console page's content is in this (style.ts widens the card for it). */
export const consoleContent = (content: Markup): Markup => html`<div class="console">${content}</div>`;

const algOptions = () => SIGNING_ALGS.map((alg) => html`<option value="${alg}">${alg}</option>`);

export interface ConsoleFrame {
  readonly paths: { readonly home: string; readonly clients: string; readonly people: string; readonly sessions: string; readonly keys: string; readonly logout: string };
  readonly csrfToken: string;
  readonly operatorEmail: string;
  /** The outcome of the change just made, or why it was refused. */
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

type Row = Readonly<Record<string, unknown>>;

const text = (value: unknown): string => (value === null || value === undefined ? '' : Array.isArray(value) ? value.join(', ') : String(value));

const csrf = (frame: ConsoleFrame) => html`<input type="hidden" name="csrf" value="${frame.csrfToken}">`;

function frameTop(frame: ConsoleFrame, title: string): Markup {
  return html`<nav class="account" aria-label="Console">
<a href="${frame.paths.home}">Console</a> · <a href="${frame.paths.clients}">Clients</a> · <a href="${frame.paths.people}">People</a> · <a href="${frame.paths.keys}">Keys</a>
</nav>
<h1>${title}</h1>
${frame.notice === undefined ? '' : html`<p class="notice" role="status" id="notice">${frame.notice}</p>`}
${frame.error === undefined ? '' : html`<p class="alert" role="alert" id="form-error">${frame.error}</p>`}`;
}

function frameBottom(frame: ConsoleFrame): Markup {
  return html`<p class="account">Signed in as <strong data-operator>${frame.operatorEmail}</strong></p>
<form method="post" action="${frame.paths.logout}" class="inline">${csrf(frame)}<button type="submit" class="secondary">Sign out of the console</button></form>`;
}

export function consoleHomePage(frame: ConsoleFrame): Markup {
  return html`${frameTop(frame, 'Operator console')}
<ul class="factors">
<li><a class="factor-name" href="${frame.paths.clients}">Clients</a><span class="factor-meta">register, list, delete</span></li>
<li><a class="factor-name" href="${frame.paths.people}">People</a><span class="factor-meta">create, find, disable, enable, reset MFA, sessions</span></li>
<li><a class="factor-name" href="${frame.paths.keys}">Keys</a><span class="factor-meta">list, rotate, revoke</span></li>
</ul>
${frameBottom(frame)}`;
}

/** The answer of a client registration: the secret appears here once and is never stored. */
export interface CreatedClientView {
  readonly client_id: string;
  readonly client_secret?: string;
}

export function consoleClientsPage(frame: ConsoleFrame, clients: readonly Row[], created?: CreatedClientView): Markup {
  return html`${frameTop(frame, 'Clients')}
${created === undefined ? '' : html`<section class="panel" aria-labelledby="created-title">
<h2 id="created-title">Client registered</h2>
<p>client_id: <code data-client-id>${created.client_id}</code></p>
${created.client_secret === undefined ? html`<p>It authenticates without a secret.</p>` : html`<p>client_secret (shown once, copy it now): <code data-client-secret>${created.client_secret}</code></p>`}
</section>`}
<ul class="factors" aria-label="Registered clients">
${clients.map((client) => html`<li data-client="${text(client.client_id)}"><span class="factor-name">${text(client.name)}</span>
<span class="factor-meta"><code>${text(client.client_id)}</code> · ${text(client.auth_method)} · ${text(client.grant_types)}${text(client.scope) === '' ? '' : html` · scope ${text(client.scope)}`} · ${text(client.alg)}</span>
<form method="post" action="${frame.paths.clients}/${encodeURIComponent(text(client.client_id))}/delete" class="inline" data-confirm="Delete the client ${text(client.name)}? Its tokens are revoked.">${csrf(frame)}<button type="submit" class="small secondary">Delete ${text(client.name)}</button></form></li>`)}
</ul>
<h2>Register a client</h2>
<form method="post" action="${frame.paths.clients}">
${csrf(frame)}
<div class="field"><label for="client-name">Name</label><input id="client-name" name="name" type="text" maxlength="200" required></div>
<fieldset><legend>Grant types</legend>
<label><input type="checkbox" name="grant_types" value="client_credentials" checked> client_credentials</label>
<label><input type="checkbox" name="grant_types" value="authorization_code"> authorization_code</label>
<label><input type="checkbox" name="grant_types" value="refresh_token"> refresh_token</label>
</fieldset>
<div class="field"><label for="client-auth">Authentication</label><select id="client-auth" name="auth_method">
<option value="client_secret_basic">client_secret_basic</option><option value="client_secret_post">client_secret_post</option><option value="none">none (public, PKCE)</option>
</select></div>
<div class="field"><label for="client-redirects">Redirect URIs (one a line)</label><textarea id="client-redirects" name="redirect_uris" rows="2"></textarea></div>
<div class="field"><label for="client-scope">Scope</label><input id="client-scope" name="scope" type="text" placeholder="openid profile email api"></div>
<div class="field"><label for="client-resources">Resources (one a line)</label><textarea id="client-resources" name="resources" rows="2"></textarea></div>
<div class="field"><label for="client-alg">Token signing algorithm</label><select id="client-alg" name="alg">${algOptions()}</select></div>
<label><input type="checkbox" name="skip_consent" value="true"> First-party: never ask for consent</label>
<button type="submit">Register</button>
</form>
${frameBottom(frame)}`;
}

export function consolePeoplePage(frame: ConsoleFrame, query: string, people: readonly Row[]): Markup {
  return html`${frameTop(frame, 'People')}
<form method="get" action="${frame.paths.people}">
<div class="field"><label for="people-query">Find by email</label><input id="people-query" name="q" type="text" value="${query}"></div>
<button type="submit" class="secondary">Find</button>
</form>
<ul class="factors" aria-label="People">
${people.map((person) => {
  const email = text(person.email);
  const disabled = person.disabled_at !== null && person.disabled_at !== undefined;
  const action = (path: string, label: string, confirm?: string) =>
    html`<form method="post" action="${frame.paths.people}/${path}" class="inline" ${confirm === undefined ? '' : html`data-confirm="${confirm}"`}>${csrf(frame)}<input type="hidden" name="email" value="${email}"><button type="submit" class="small secondary">${label}</button></form>`;
  return html`<li data-person="${email}"><span class="factor-name">${email}</span>
<span class="factor-meta">${text(person.name)}${disabled ? ' · disabled' : ' · active'}</span>
${disabled ? action('enable', `Enable ${email}`) : action('disable', `Disable ${email}`, `Disable ${email}? Every session and token of theirs ends.`)}
${action('mfa-reset', `Reset MFA of ${email}`, `Remove every second factor and passkey of ${email}?`)}
<a href="${frame.paths.sessions}?email=${encodeURIComponent(email)}">Sessions of ${email}</a></li>`;
})}
</ul>
<h2>Create a person</h2>
<form method="post" action="${frame.paths.people}">
${csrf(frame)}
<div class="field"><label for="person-email">Email</label><input id="person-email" name="email" type="email" maxlength="320" required></div>
<div class="field"><label for="person-name">Name</label><input id="person-name" name="name" type="text" maxlength="200"></div>
<div class="field"><label for="person-password">Password</label><input id="person-password" name="password" type="password" autocomplete="new-password" required></div>
<button type="submit">Create</button>
</form>
${frameBottom(frame)}`;
}

export function consoleSessionsPage(frame: ConsoleFrame, email: string, sessions: readonly Row[]): Markup {
  const when = (seconds: unknown) => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : '');
  return html`${frameTop(frame, `Sessions of ${email}`)}
<ul class="factors" aria-label="Sessions">
${sessions.length === 0 ? html`<li>No live session.</li>` : ''}
${sessions.map((session) => html`<li data-session="${text(session.sid)}"><span class="factor-name"><code>${text(session.sid)}</code></span>
<span class="factor-meta">signed in ${when(session.auth_time)} (${text(session.amr)}) · until ${when(session.expires_at)}</span>
<form method="post" action="${frame.paths.sessions}/revoke" class="inline" data-confirm="End this session?">${csrf(frame)}<input type="hidden" name="email" value="${email}"><input type="hidden" name="sid" value="${text(session.sid)}"><button type="submit" class="small secondary">End session</button></form></li>`)}
</ul>
<form method="post" action="${frame.paths.sessions}/everywhere" data-confirm="Log ${email} out everywhere?">${csrf(frame)}<input type="hidden" name="email" value="${email}"><button type="submit">Log out everywhere</button></form>
${frameBottom(frame)}`;
}

export function consoleKeysPage(frame: ConsoleFrame, keys: readonly Row[]): Markup {
  return html`${frameTop(frame, 'Signing keys')}
<ul class="factors" aria-label="Signing keys">
${keys.map((key) => {
  const kid = text(key.kid);
  return html`<li data-kid="${kid}" data-status="${text(key.status)}"><span class="factor-name"><code>${kid}</code></span>
<span class="factor-meta">${text(key.alg)} · ${text(key.status)} · created ${text(key.created_at)}</span>
${key.status === 'revoked' ? '' : html`<form method="post" action="${frame.paths.keys}/${encodeURIComponent(kid)}/revoke" class="inline" data-confirm="Revoke ${kid}? It leaves the JWKS at once: every token it signed stops verifying.">${csrf(frame)}
<label><input type="checkbox" name="confirm" value="${kid}" required> Yes, revoke ${kid}</label>
<button type="submit" class="small secondary">Revoke ${kid}</button></form>`}</li>`;
})}
</ul>
<h2>Rotate</h2>
<form method="post" action="${frame.paths.keys}/rotate">
${csrf(frame)}
<div class="field"><label for="rotate-alg">Algorithm</label><select id="rotate-alg" name="alg"><option value="">every algorithm</option>${algOptions()}</select></div>
<label><input type="checkbox" name="unpublished" value="true"> Sign at once even with a key relying parties may not have fetched yet</label>
<button type="submit">Rotate keys</button>
</form>
${frameBottom(frame)}`;
}

export function consoleRefusalPage(message: string, signInPath: string): Markup {
  return html`<h1>Operator console</h1>
<p class="alert" role="alert">${message}</p>
<p><a href="${signInPath}">Sign in to the console</a></p>`;
}
