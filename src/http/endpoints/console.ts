/**
 * The operator console under /admin (ADMIN_API=on): server-rendered pages over the admin API's
 * operations (admin/operations.ts), so the console and the JSON API under /admin/v1 are one
 * implementation; admin/console.ts has the rules (its client, who is an operator, the session,
 * CSRF). This file only speaks HTTP:
 *
 *  - GET /admin without a console session starts a sign-in through Inkan itself: authorization
 *    code with PKCE S256 (RFC 7636) and `state` (RFC 6749 §10.12), both kept in a short-lived
 *    HttpOnly cookie (SameSite=Lax: it must survive the redirects of the sign-in). GET
 *    /admin/callback checks `state` and `iss` (RFC 9207), exchanges the code and sets the session
 *    cookie: the access token, HttpOnly, SameSite=Strict, Secure (and `__Host-`) on https, expiring
 *    with the token.
 *  - Every POST must carry the page's CSRF token and must not name another origin in `Origin`
 *    (403 otherwise); a POST without a live session is 401 and changes nothing.
 *  - Every page goes out through page.ts (CSP with a nonce, no inline script: the one script is
 *    /assets/console.js; no framing; no caching).
 */
import type { Context } from 'koa';
import {
  AdminError,
  createClientOperation,
  createUserOperation,
  deleteClientOperation,
  disableUserOperation,
  enableUserOperation,
  endSessionOperation,
  listClients,
  listKeys,
  listSessionsOperation,
  listUsers,
  resetMfaOperation,
  revokeKeyOperation,
  revokeTokensOperation,
  rotateKeysOperation,
  type AdminDeps,
  type AdminResult,
  type JsonBody,
} from '../../admin/operations.js';
import {
  ConsoleAccessError,
  CONSOLE_PATHS,
  consoleCsrfMatches,
  consoleCsrfToken,
  consoleOperator,
  endConsoleSession,
  finishConsoleSignIn,
  startConsoleSignIn,
  type ConsoleDeps,
  type ConsoleSignIn,
  type Operator,
} from '../../admin/console.js';
import { OAuthError } from '../../oauth/errors.js';
import {
  consoleClientsPage,
  consoleContent,
  consoleHomePage,
  consoleKeysPage,
  consolePeoplePage,
  consoleRefusalPage,
  consoleSessionsPage,
  type ConsoleFrame,
  type CreatedClientView,
} from '../html/console-pages.js';
import type { Markup } from '../html/markup.js';
import { field, readPageForm } from '../page-form.js';
import { sendRedirect, type Pages } from '../page.js';
import type { KoaHandler, RouteParams } from '../route.js';

export interface ConsoleEndpointDeps {
  readonly console: ConsoleDeps;
  readonly admin: AdminDeps;
  /** The brand's pages (page.ts); the console itself is in English. */
  readonly pages: Pages;
  /** The absolute URL of the authorization endpoint. */
  readonly authorizationEndpoint: string;
  /** The script the pages load (endpoints/assets.ts), as the browser sees its path. */
  readonly script: string;
  /** Turns a console path into the path the browser sees (browserPath). */
  readonly browserPath: (path: string) => string;
}

const SIGN_IN_SECONDS = 600;
const SESSION_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const SIGN_IN_SHAPE = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

/** The console's two cookies, written by hand like cookies.ts (Koa refuses `Secure` behind a TLS proxy). */
function consoleCookies(issuer: string) {
  const secure = issuer.startsWith('https://');
  const name = (which: 'session' | 'signin') => `${secure ? '__Host-' : ''}inkan_console_${which}`;
  const attributes = (sameSite: 'Strict' | 'Lax') => `Path=/; HttpOnly; SameSite=${sameSite}${secure ? '; Secure' : ''}`;
  const sameSite = { session: 'Strict', signin: 'Lax' } as const;
  return {
    session: (ctx: Context) => {
      const value = ctx.cookies.get(name('session'));
      return value !== undefined && value.length <= 4000 && SESSION_SHAPE.test(value) ? value : undefined;
    },
    signIn: (ctx: Context): ConsoleSignIn | undefined => {
      const match = SIGN_IN_SHAPE.exec(ctx.cookies.get(name('signin')) ?? '');
      return match === null ? undefined : { state: match[1]!, codeVerifier: match[2]! };
    },
    set: (ctx: Context, which: 'session' | 'signin', value: string, maxAgeSeconds: number) =>
      ctx.append('Set-Cookie', `${name(which)}=${value}; Max-Age=${Math.max(0, maxAgeSeconds)}; ${attributes(sameSite[which])}`),
    clear: (ctx: Context, which: 'session' | 'signin') => ctx.append('Set-Cookie', `${name(which)}=; Max-Age=0; ${attributes(sameSite[which])}`),
  };
}

type Handler = (ctx: Context, operator: Operator, form: URLSearchParams | undefined, params: RouteParams) => Promise<void>;

/** Values of a multi-line textarea: one a line, blanks dropped; undefined when none. */
function lines(form: URLSearchParams, name: string): string[] | undefined {
  const values = (form.get(name) ?? '').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  return values.length === 0 ? undefined : values;
}

/** The JSON body of client registration from the console's form: the admin API's fields, nothing of its own. */
function clientBody(form: URLSearchParams): JsonBody {
  const body: Record<string, unknown> = { name: form.get('name') ?? '' };
  const grantTypes = form.getAll('grant_types');
  if (grantTypes.length > 0) body.grant_types = grantTypes;
  const redirectUris = lines(form, 'redirect_uris');
  if (redirectUris !== undefined) body.redirect_uris = redirectUris;
  const resources = lines(form, 'resources');
  if (resources !== undefined) body.resources = resources;
  for (const name of ['auth_method', 'scope', 'alg']) {
    const value = field(form, name);
    if (value !== undefined) body[name] = value;
  }
  if (field(form, 'skip_consent') === 'true') body.skip_consent = true;
  return body;
}

export interface ConsoleEndpoints {
  readonly home: KoaHandler;
  readonly callback: KoaHandler;
  readonly logout: KoaHandler;
  readonly clients: KoaHandler;
  readonly createClient: KoaHandler;
  readonly deleteClient: KoaHandler;
  readonly people: KoaHandler;
  readonly createPerson: KoaHandler;
  readonly disablePerson: KoaHandler;
  readonly enablePerson: KoaHandler;
  readonly resetMfa: KoaHandler;
  readonly sessions: KoaHandler;
  readonly endSession: KoaHandler;
  readonly logOutEverywhere: KoaHandler;
  readonly keys: KoaHandler;
  readonly rotateKeys: KoaHandler;
  readonly revokeKey: KoaHandler;
}

export function consoleEndpoints(deps: ConsoleEndpointDeps): ConsoleEndpoints {
  const { issuer } = deps.console.config;
  const cookies = consoleCookies(issuer);
  const paths = {
    home: deps.browserPath(CONSOLE_PATHS.home),
    clients: deps.browserPath(CONSOLE_PATHS.clients),
    people: deps.browserPath(CONSOLE_PATHS.people),
    sessions: deps.browserPath(CONSOLE_PATHS.sessions),
    keys: deps.browserPath(CONSOLE_PATHS.keys),
    logout: deps.browserPath(CONSOLE_PATHS.logout),
  };
  const origin = (ctx: Context) => ({ requestId: ctx.state.requestId as string | undefined, address: ctx.ip });

  const show = (ctx: Context, status: number, title: string, content: Markup) =>
    deps.pages.send(ctx, { status, locale: 'en', title, content: consoleContent(content), scripts: [deps.script] });
  const refuse = (ctx: Context, status: number, message: string) => show(ctx, status, 'Operator console', consoleRefusalPage(message, paths.home));

  function startSignIn(ctx: Context): void {
    const { signIn, location } = startConsoleSignIn(issuer, deps.authorizationEndpoint);
    cookies.set(ctx, 'signin', `${signIn.state}.${signIn.codeVerifier}`, SIGN_IN_SECONDS);
    sendRedirect(ctx, location);
  }

  /** Sets the session cookie for a signed-in operator, expiring with the token. */
  function startSession(ctx: Context, operator: Operator): void {
    cookies.set(ctx, 'session', operator.token, operator.claims.exp - deps.console.clock.nowSeconds());
  }

  /** A form posted from elsewhere: another origin, or without this session's CSRF token. */
  function forged(ctx: Context, operator: Operator, form: URLSearchParams): boolean {
    // The pages send no Referer (page.ts), so browsers send `Origin: null` with their own forms:
    // only another real origin is refused here; the CSRF token is what decides.
    const sentOrigin = ctx.get('origin');
    if (sentOrigin !== '' && sentOrigin !== 'null' && sentOrigin !== new URL(issuer).origin) return true;
    return !consoleCsrfMatches(operator.token, field(form, 'csrf'));
  }

  /** Runs a console handler for the operator of the session; signs in (GET) or refuses (POST) without one. */
  const authed =
    (handler: Handler): KoaHandler =>
    async (ctx, params) => {
      let operator: Operator;
      try {
        operator = await consoleOperator(deps.console, cookies.session(ctx), origin(ctx));
      } catch (error) {
        if (!(error instanceof ConsoleAccessError)) throw error;
        cookies.clear(ctx, 'session');
        if (error.reason === 'not-an-operator') return refuse(ctx, 403, 'This account may not use the operator console.');
        if (ctx.method === 'GET' || ctx.method === 'HEAD') return startSignIn(ctx);
        return refuse(ctx, 401, 'Your console session is over: nothing was changed. Sign in again.');
      }
      let form: URLSearchParams | undefined;
      if (ctx.method === 'POST') {
        form = await readPageForm(ctx);
        if (forged(ctx, operator, form)) return refuse(ctx, 403, 'This form did not come from the console (missing or wrong CSRF token): nothing was changed.');
      }
      await handler(ctx, operator, form, params);
    };

  const frame = (operator: Operator, outcome: { notice?: string | undefined; error?: string | undefined } = {}): ConsoleFrame => ({
    paths,
    csrfToken: consoleCsrfToken(operator.token),
    operatorEmail: operator.email,
    ...outcome,
  });

  /** Runs an operation; its refusal becomes the page's error and status. */
  async function attempt(operation: () => Promise<AdminResult>): Promise<{ result?: AdminResult; error?: string; status: number }> {
    try {
      const result = await operation();
      return { result, status: 200 };
    } catch (error) {
      if (!(error instanceof AdminError)) throw error;
      return { error: error.description, status: error.status };
    }
  }

  const rows = (result: AdminResult) => result.body as Readonly<Record<string, unknown>>[];

  async function clientsPage(ctx: Context, operator: Operator, status = 200, outcome: { notice?: string; error?: string } = {}, created?: CreatedClientView) {
    show(ctx, status, 'Clients', consoleClientsPage(frame(operator, outcome), rows(await listClients(deps.admin)), created));
  }

  async function peoplePage(ctx: Context, operator: Operator, status = 200, outcome: { notice?: string; error?: string } = {}, query = '') {
    show(ctx, status, 'People', consolePeoplePage(frame(operator, outcome), query, rows(await listUsers(deps.admin, query))));
  }

  async function sessionsPage(ctx: Context, operator: Operator, email: string | undefined, status = 200, outcome: { notice?: string; error?: string } = {}) {
    const listed = await attempt(() => listSessionsOperation(deps.admin, email));
    if (listed.result === undefined) return peoplePage(ctx, operator, listed.status, { error: listed.error ?? '' }, email ?? '');
    const body = listed.result.body as { email: string; sessions: Readonly<Record<string, unknown>>[] };
    show(ctx, status, 'Sessions', consoleSessionsPage(frame(operator, outcome), body.email, body.sessions));
  }

  async function keysPage(ctx: Context, operator: Operator, status = 200, outcome: { notice?: string; error?: string } = {}) {
    show(ctx, status, 'Signing keys', consoleKeysPage(frame(operator, outcome), rows(await listKeys(deps.admin))));
  }

  /** A change to a person named by the form's `email`, then the people page with its outcome. */
  const personChange =
    (operation: (deps: AdminDeps, body: JsonBody, actor: Operator['actor']) => Promise<AdminResult>, notice: (email: string) => string): Handler =>
    async (ctx, operator, form) => {
      const email = field(form!, 'email') ?? '';
      const done = await attempt(() => operation(deps.admin, { email }, operator.actor));
      await peoplePage(ctx, operator, done.status, done.error === undefined ? { notice: notice(email) } : { error: done.error }, email);
    };

  return {
    home: authed(async (ctx, operator) => show(ctx, 200, 'Operator console', consoleHomePage(frame(operator)))),

    async callback(ctx) {
      const signIn = cookies.signIn(ctx);
      cookies.clear(ctx, 'signin');
      const query = ctx.URL.searchParams;
      const state = query.get('state');
      if (signIn === undefined || state === null || state !== signIn.state) {
        return refuse(ctx, 400, 'This sign-in was not started by this browser, or took too long. Sign in again.');
      }
      // RFC 9207: the answer must come from this issuer.
      if (query.get('iss') !== issuer) return refuse(ctx, 400, 'The sign-in answer came from another issuer.');
      const code = query.get('code');
      if (code === null) return refuse(ctx, 403, `The sign-in did not complete (${query.get('error') ?? 'no code'}).`);
      let operator: Operator;
      try {
        operator = await finishConsoleSignIn(deps.console, code, signIn, origin(ctx));
      } catch (error) {
        if (error instanceof ConsoleAccessError) {
          return refuse(ctx, error.reason === 'not-an-operator' ? 403 : 400, error.reason === 'not-an-operator' ? 'This account may not use the operator console.' : 'The sign-in did not complete. Sign in again.');
        }
        if (error instanceof OAuthError) return refuse(ctx, 400, 'The sign-in did not complete. Sign in again.');
        throw error;
      }
      startSession(ctx, operator);
      sendRedirect(ctx, paths.home);
    },

    logout: authed(async (ctx, operator) => {
      await endConsoleSession(deps.console, operator.token);
      cookies.clear(ctx, 'session');
      show(ctx, 200, 'Signed out', consoleRefusalPage('You are signed out of the console and of Inkan.', paths.home));
    }),

    clients: authed((ctx, operator) => clientsPage(ctx, operator)),
    createClient: authed(async (ctx, operator, form) => {
      const done = await attempt(() => createClientOperation(deps.admin, clientBody(form!), operator.actor));
      if (done.result === undefined) return clientsPage(ctx, operator, done.status, { error: done.error ?? '' });
      await clientsPage(ctx, operator, 201, { notice: 'Client registered.' }, done.result.body as CreatedClientView);
    }),
    deleteClient: authed(async (ctx, operator, _form, params) => {
      const clientId = params.clientId ?? '';
      const done = await attempt(() => deleteClientOperation(deps.admin, clientId, operator.actor));
      await clientsPage(ctx, operator, done.status, done.error === undefined ? { notice: `Client ${clientId} deleted; its tokens are revoked.` } : { error: done.error });
    }),

    people: authed((ctx, operator) => peoplePage(ctx, operator, 200, {}, ctx.URL.searchParams.get('q') ?? '')),
    createPerson: authed(async (ctx, operator, form) => {
      const body = { email: form!.get('email') ?? '', password: form!.get('password') ?? '', ...(field(form!, 'name') === undefined ? {} : { name: field(form!, 'name') }) };
      const done = await attempt(() => createUserOperation(deps.admin, body, operator.actor));
      await peoplePage(ctx, operator, done.status === 200 ? 201 : done.status, done.error === undefined ? { notice: `${body.email} created.` } : { error: done.error }, body.email);
    }),
    disablePerson: authed(personChange(disableUserOperation, (email) => `${email} disabled: every session and token of theirs has ended.`)),
    enablePerson: authed(personChange(enableUserOperation, (email) => `${email} enabled.`)),
    resetMfa: authed(personChange(resetMfaOperation, (email) => `Every second factor of ${email} removed; their sessions have ended.`)),

    sessions: authed((ctx, operator) => sessionsPage(ctx, operator, ctx.URL.searchParams.get('email') ?? undefined)),
    endSession: authed(async (ctx, operator, form) => {
      const email = field(form!, 'email') ?? '';
      const done = await attempt(() => endSessionOperation(deps.admin, { email, sid: field(form!, 'sid') ?? '' }, operator.actor));
      await sessionsPage(ctx, operator, email, done.status, done.error === undefined ? { notice: 'Session ended.' } : { error: done.error });
    }),
    logOutEverywhere: authed(async (ctx, operator, form) => {
      const email = field(form!, 'email') ?? '';
      const done = await attempt(() => revokeTokensOperation(deps.admin, { email }, operator.actor));
      await sessionsPage(ctx, operator, email, done.status, done.error === undefined ? { notice: `${email} is logged out everywhere.` } : { error: done.error });
    }),

    keys: authed((ctx, operator) => keysPage(ctx, operator)),
    rotateKeys: authed(async (ctx, operator, form) => {
      const alg = field(form!, 'alg');
      const body = { ...(alg === undefined ? {} : { alg }), ...(field(form!, 'unpublished') === 'true' ? { unpublished: true } : {}) };
      const done = await attempt(() => rotateKeysOperation(deps.admin, body, operator.actor));
      const active = (done.result?.body as { active?: { kid: string; alg: string }[] } | undefined)?.active ?? [];
      await keysPage(ctx, operator, done.status, done.error === undefined ? { notice: `Now signing with ${active.map((key) => `${key.kid} (${key.alg})`).join(', ')}.` } : { error: done.error });
    }),
    revokeKey: authed(async (ctx, operator, form, params) => {
      const kid = params.kid ?? '';
      if (field(form!, 'confirm') !== kid) return keysPage(ctx, operator, 400, { error: `Tick "Yes, revoke ${kid}" to revoke it.` });
      const done = await attempt(() => revokeKeyOperation(deps.admin, kid, {}, operator.actor));
      await keysPage(ctx, operator, done.status, done.error === undefined ? { notice: `${kid} is revoked: it has left the JWKS.` } : { error: done.error });
    }),
  };
}
