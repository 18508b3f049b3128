/**
 * The authorization-code flow between the authorization request and the redirect back to the
 * client, without Koa: start (validate, decide whether the person must sign in or consent),
 * the login step (its password check and throttle are sign-in.ts), the consent step, and
 * completion (a single-use code in the redirect). What each step answers is steps.ts.
 *
 * A pending request lives server-side (`authorization_requests`) under a random id that appears in
 * the login/consent URLs. It is bound to the browser that started it by the SHA-256 of a
 * browser-binding cookie, and each rendered form carries a fresh CSRF token whose SHA-256 is
 * stored with it. Nothing that decides where the code goes (client, redirect_uri, scope, PKCE)
 * is ever read back from a form.
 *
 * Anyone may start an authorization request without signing in, and each one that needs the
 * login or consent page is a row until it expires (INTERACTION_TTL_SECONDS). So that a flood of
 * such requests cannot grow the table without bound, each row records the address that started
 * it (the login throttle's key: an IPv6 client by its /64), and an address with
 * `pendingPerAddress` (PENDING_SIGNINS_PER_ADDRESS) live requests gets `temporarily_unavailable`
 * at the validated redirect_uri instead of another row, until some of its requests complete or
 * expire. A browser that already has a session and consent gets its code without a row, whatever
 * the count.
 */
import type { Clock } from '../clock.js';
import type { AuthorizationRequestRecord, PendingAuthorization } from '../storage/authorizations.js';
import type { ClientRecord } from '../storage/clients.js';
import type { Stores } from '../storage/stores.js';
import { OAuthError } from '../oauth/errors.js';
import { redirectWith } from '../oauth/redirect-uri.js';
import { hashSecret, randomSecret, secretMatches } from '../tokens/secrets.js';
import { addressKey, type LoginThrottle } from '../accounts/throttle.js';
import { AuthorizationError, validateAuthorizationRequest, type RawParameters } from './authorization-request.js';
import { findLiveSession, startSession, type LiveSession } from './sessions.js';
import type { Revoker } from '../revocation/revoker.js';
import type { SignInObserver } from '../audit/sign-ins.js';
import { signIn } from './sign-in.js';
import type { PasskeyCeremonies, SignInOptions } from '../passkeys/ceremonies.js';
import { InteractionError, type BrowserCookies, type InteractionView, type LoginOutcome, type Step } from './steps.js';

/** How long a person has to sign in and consent. */
export const INTERACTION_TTL_SECONDS = 15 * 60;
/** RFC 6749 §4.1.2 recommends at most 10 minutes; Inkan's codes live 60 seconds. */
export const AUTHORIZATION_CODE_TTL_SECONDS = 60;

export interface AuthorizerDeps {
  readonly stores: Pick<Stores, 'clients' | 'users' | 'sessions' | 'consents' | 'authorizationRequests' | 'authorizationCodes'>;
  readonly clock: Clock;
  readonly issuer: string;
  /** The login form's brute-force throttle (login/sign-in.ts). */
  readonly throttle: LoginThrottle;
  /** PENDING_SIGNINS_PER_ADDRESS: how many live pending requests one client address may hold. */
  readonly pendingPerAddress: number;
  /** Ends the previous person's session when another one signs in in the same browser. */
  readonly revoker: Pick<Revoker, 'endSession'>;
  /** Where the browser is sent for the login and consent pages (see browserPath). */
  readonly paths: { readonly login: string; readonly consent: string };
  /** Told of every sign-in's outcome: the audit line and the metric (audit/sign-ins.ts). */
  readonly signIns?: SignInObserver;
  /** Passkey sign-in; absent when the issuer cannot be a WebAuthn relying party (passkeys/relying-party.ts). */
  readonly passkeys?: PasskeyCeremonies;
}

/** The binding of a passkey sign-in's challenge: the pending request, itself bound to the browser. */
function passkeySignInBinding(requestId: string): string {
  return `signin:${requestId}`;
}

export class Authorizer {
  constructor(private readonly deps: AuthorizerDeps) {}

  /** Where the browser is sent for the login and consent pages. */
  get paths(): AuthorizerDeps['paths'] {
    return this.deps.paths;
  }

  private now(): number {
    return this.deps.clock.nowSeconds();
  }

  private errorRedirect(redirectUri: string, state: string | null, error: OAuthError): Step {
    return {
      kind: 'redirect',
      location: redirectWith(redirectUri, { error: error.code, error_description: error.description, state, iss: this.deps.issuer }),
    };
  }

  private live(cookies: BrowserCookies): Promise<LiveSession | undefined> {
    return findLiveSession({ sessions: this.deps.stores.sessions, users: this.deps.stores.users, clock: this.deps.clock }, cookies.sessionSecret);
  }

  private loginSatisfied(request: PendingAuthorization, live: LiveSession | undefined): boolean {
    // select_account: the sign-in page is where a person picks the account (one session per browser).
    if (live === undefined || request.prompt.includes('login') || request.prompt.includes('select_account')) return false;
    return request.maxAgeSeconds === null || this.now() - live.session.authTime <= request.maxAgeSeconds;
  }

  private async consentSatisfied(request: PendingAuthorization, client: ClientRecord, userId: string): Promise<boolean> {
    if (request.prompt.includes('consent')) return false;
    if (client.skipConsent === true) return true;
    const granted = await this.deps.stores.consents.find(userId, client.clientId);
    return granted !== undefined && request.scopes.every((scope) => granted.includes(scope));
  }

  /** GET/POST /authorize; `clientAddress` by the TRUST_PROXY rule. */
  async start(raw: RawParameters, cookies: BrowserCookies, clientAddress: string): Promise<Step> {
    let validated;
    try {
      validated = await validateAuthorizationRequest(raw, this.deps.stores.clients);
    } catch (error) {
      if (!(error instanceof AuthorizationError)) throw error;
      if (error.redirect === undefined) return { kind: 'error-page', status: 400, error: error.error };
      return this.errorRedirect(error.redirect.redirectUri, error.redirect.state, error.error);
    }
    const { client, request } = validated;
    const live = await this.live(cookies);
    const loggedIn = this.loginSatisfied(request, live);
    const consented = loggedIn && (await this.consentSatisfied(request, client, live!.user.id));

    if (request.prompt.includes('none')) {
      if (!loggedIn) return this.errorRedirect(request.redirectUri, request.state, new OAuthError('login_required', 'the user is not signed in'));
      if (!consented) return this.errorRedirect(request.redirectUri, request.state, new OAuthError('consent_required', 'the user has not consented'));
    }
    if (loggedIn && consented) return this.complete(request, live!.session.id, live!.user.id, live!.session.authTime);

    const now = this.now();
    const address = addressKey(clientAddress);
    if ((await this.deps.stores.authorizationRequests.countLive(address, now)) >= this.deps.pendingPerAddress) {
      const busy = new OAuthError('temporarily_unavailable', 'too many sign-ins are in progress from this address; try again later');
      return this.errorRedirect(request.redirectUri, request.state, busy);
    }
    const id = randomSecret(24);
    await this.deps.stores.authorizationRequests.insert({
      id,
      browserHash: hashSecret(cookies.browserSecret),
      csrfHash: null,
      request,
      userId: loggedIn ? live!.user.id : null,
      sessionId: loggedIn ? live!.session.id : null,
      authTime: loggedIn ? live!.session.authTime : null,
      consented: false,
      createdAt: now,
      expiresAt: now + INTERACTION_TTL_SECONDS,
      addressKey: address,
    });
    return { kind: 'redirect', location: `${loggedIn ? this.deps.paths.consent : this.deps.paths.login}?ix=${id}` };
  }

  /** The pending request this browser may continue, or an InteractionError for the error page. */
  private async pending(id: string | undefined, browserSecret: string | undefined): Promise<{ record: AuthorizationRequestRecord; client: ClientRecord }> {
    const record = id === undefined || id.length > 100 ? undefined : await this.deps.stores.authorizationRequests.find(id);
    if (record === undefined || record.expiresAt <= this.now()) {
      throw new InteractionError('This sign-in request has expired. Go back to the application and start again.');
    }
    const sameBrowser = browserSecret !== undefined && secretMatches(browserSecret, record.browserHash);
    if (!sameBrowser) throw new InteractionError('This sign-in request was started in another browser. Go back to the application and start again.');
    const client = await this.deps.stores.clients.find(record.request.clientId);
    if (client === undefined) throw new InteractionError('The application that sent you here is no longer registered.');
    return { record, client };
  }

  private async view(record: AuthorizationRequestRecord, client: ClientRecord): Promise<InteractionView> {
    const csrfToken = randomSecret();
    await this.deps.stores.authorizationRequests.update(record.id, { csrfHash: hashSecret(csrfToken) });
    const user = record.userId === null ? undefined : await this.deps.stores.users.find(record.userId);
    return { id: record.id, client, request: record.request, csrfToken, userEmail: user?.email ?? null };
  }

  private csrfMatches(record: AuthorizationRequestRecord, token: string | undefined): boolean {
    return token !== undefined && secretMatches(token, record.csrfHash);
  }

  /** GET /login?ix=… */
  async loginPage(id: string | undefined, cookies: Partial<BrowserCookies>): Promise<InteractionView> {
    const { record, client } = await this.pending(id, cookies.browserSecret);
    return this.view(record, client);
  }

  /** POST /login. A wrong CSRF token throws an OAuthError (403); everything else is an outcome. */
  async submitLogin(
    id: string | undefined,
    cookies: Partial<BrowserCookies>,
    form: { csrf: string | undefined; email: string | undefined; password: string | undefined },
    clientAddress: string,
    requestId?: string,
  ): Promise<LoginOutcome> {
    const { record, client } = await this.pending(id, cookies.browserSecret);
    if (!this.csrfMatches(record, form.csrf)) throw new OAuthError('invalid_request', 'the form has expired or did not come from this site (CSRF token mismatch)', { status: 403 });
    const email = (form.email ?? '').trim();
    const signedIn = await signIn(
      { users: this.deps.stores.users, throttle: this.deps.throttle, observer: this.deps.signIns },
      { email, clientId: client.clientId, requestId, address: clientAddress },
      form.password,
    );
    // Refused: the form again, with a fresh CSRF token.
    if (signedIn.kind === 'refused') return { ...signedIn, kind: 'form', view: await this.view(record, client), email };
    const { user } = signedIn;

    const previous = await this.live({ sessionSecret: cookies.sessionSecret, browserSecret: cookies.browserSecret ?? '' });
    const started = await startSession(
      { sessions: this.deps.stores.sessions, users: this.deps.stores.users, clock: this.deps.clock, revoker: this.deps.revoker },
      user.id,
      previous?.session,
    );
    await this.deps.stores.authorizationRequests.update(record.id, {
      userId: user.id,
      sessionId: started.session.id,
      authTime: started.session.authTime,
      csrfHash: null,
    });
    const updated = { ...record, userId: user.id, sessionId: started.session.id, authTime: started.session.authTime };
    const next = await this.proceed(updated, client);
    return { ...next, newSessionSecret: started.secret } as Step;
  }

  /** Whether the sign-in page offers "Sign in with a passkey". */
  get passkeysOffered(): boolean {
    return this.deps.passkeys !== undefined;
  }

  /**
   * POST /login/passkey/options: the WebAuthn options of a passkey sign-in for this pending
   * request, its challenge bound to it (and so to this browser), replacing any earlier one.
   */
  async passkeyOptions(id: string | undefined, cookies: Partial<BrowserCookies>, csrf: string | undefined): Promise<SignInOptions> {
    const { record } = await this.pending(id, cookies.browserSecret);
    if (!this.csrfMatches(record, csrf)) throw new OAuthError('invalid_request', 'the form has expired or did not come from this site (CSRF token mismatch)', { status: 403 });
    if (this.deps.passkeys === undefined) throw new OAuthError('invalid_request', 'passkeys are not available on this server', { status: 404 });
    return this.deps.passkeys.authenticationOptions(passkeySignInBinding(record.id));
  }

  /** POST /login/passkey: the browser's answer to passkeyOptions. Like submitLogin, but no email or password. */
  async submitPasskey(
    id: string | undefined,
    cookies: Partial<BrowserCookies>,
    form: { csrf: string | undefined; credential: string | undefined },
    clientAddress: string,
    requestId?: string,
  ): Promise<LoginOutcome> {
    const { record, client } = await this.pending(id, cookies.browserSecret);
    if (!this.csrfMatches(record, form.csrf)) throw new OAuthError('invalid_request', 'the form has expired or did not come from this site (CSRF token mismatch)', { status: 403 });
    if (this.deps.passkeys === undefined) throw new OAuthError('invalid_request', 'passkeys are not available on this server', { status: 404 });
    const result = await this.deps.passkeys.authenticate(passkeySignInBinding(record.id), form.credential, { clientId: client.clientId, requestId, address: clientAddress });
    if (!result.ok) return { kind: 'form', status: result.reason === 'disabled' ? 403 : 401, view: await this.view(record, client), message: result.message, email: '' };
    return this.signedInAs(record, client, result.value.user.id, cookies);
  }

  /** After a successful sign-in step: the session, then consent or the code. */
  private async signedInAs(record: AuthorizationRequestRecord, client: ClientRecord, userId: string, cookies: Partial<BrowserCookies>): Promise<Step> {
    const previous = await this.live({ sessionSecret: cookies.sessionSecret, browserSecret: cookies.browserSecret ?? '' });
    const started = await startSession(
      { sessions: this.deps.stores.sessions, users: this.deps.stores.users, clock: this.deps.clock, revoker: this.deps.revoker },
      userId,
      previous?.session,
    );
    await this.deps.stores.authorizationRequests.update(record.id, {
      userId,
      sessionId: started.session.id,
      authTime: started.session.authTime,
      csrfHash: null,
    });
    const updated = { ...record, userId, sessionId: started.session.id, authTime: started.session.authTime };
    const next = await this.proceed(updated, client);
    return { ...next, newSessionSecret: started.secret } as Step;
  }

  /** After a step: consent if needed, else the code. */
  private async proceed(record: AuthorizationRequestRecord, client: ClientRecord): Promise<Step> {
    if (record.userId === null || record.sessionId === null || record.authTime === null) {
      return { kind: 'redirect', location: `${this.deps.paths.login}?ix=${record.id}` };
    }
    if (!record.consented && !(await this.consentSatisfied(record.request, client, record.userId))) {
      return { kind: 'redirect', location: `${this.deps.paths.consent}?ix=${record.id}` };
    }
    // Two posts of the same form (a double click, two tabs) race here: only the one that removes
    // the pending request issues a code.
    if (!(await this.deps.stores.authorizationRequests.delete(record.id))) {
      throw new InteractionError('This sign-in request was already completed. Go back to the application.');
    }
    return this.complete(record.request, record.sessionId, record.userId, record.authTime);
  }

  /** The session must still be the one the request was signed in with; else back to the login step. */
  private async signedIn(record: AuthorizationRequestRecord, cookies: Partial<BrowserCookies>): Promise<boolean> {
    if (record.sessionId === null) return false;
    const live = await this.live({ sessionSecret: cookies.sessionSecret, browserSecret: '' });
    return live !== undefined && live.session.id === record.sessionId;
  }

  /** GET /consent?ix=… : a view, or a redirect to the login step when the session is gone. */
  async consentPage(id: string | undefined, cookies: Partial<BrowserCookies>): Promise<InteractionView | Step> {
    const { record, client } = await this.pending(id, cookies.browserSecret);
    if (!(await this.signedIn(record, cookies))) return { kind: 'redirect', location: `${this.deps.paths.login}?ix=${record.id}` };
    return this.view(record, client);
  }

  /** POST /consent with decision allow or deny. */
  async submitConsent(
    id: string | undefined,
    cookies: Partial<BrowserCookies>,
    form: { csrf: string | undefined; decision: string | undefined },
  ): Promise<Step> {
    const { record, client } = await this.pending(id, cookies.browserSecret);
    if (!this.csrfMatches(record, form.csrf)) throw new OAuthError('invalid_request', 'the form has expired or did not come from this site (CSRF token mismatch)', { status: 403 });
    if (!(await this.signedIn(record, cookies))) return { kind: 'redirect', location: `${this.deps.paths.login}?ix=${record.id}` };
    if (form.decision === 'deny') {
      await this.deps.stores.authorizationRequests.delete(record.id);
      return this.errorRedirect(record.request.redirectUri, record.request.state, new OAuthError('access_denied', 'the user denied the request'));
    }
    if (form.decision !== 'allow') throw new OAuthError('invalid_request', 'decision must be allow or deny');
    await this.deps.stores.consents.grant(record.userId!, client.clientId, record.request.scopes, this.now());
    return this.proceed({ ...record, consented: true }, client);
  }

  /** Issues the single-use code and redirects to the client with code, state and iss (RFC 9207). */
  private async complete(request: PendingAuthorization, sessionId: string, userId: string, authTime: number): Promise<Step> {
    const code = randomSecret();
    const now = this.now();
    await this.deps.stores.authorizationCodes.insert({
      codeHash: hashSecret(code),
      clientId: request.clientId,
      userId,
      sessionId,
      redirectUri: request.redirectUri,
      scopes: request.scopes,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      authTime,
      createdAt: now,
      expiresAt: now + AUTHORIZATION_CODE_TTL_SECONDS,
      consumedAt: null,
      grantId: null,
      replayedAt: null,
    });
    return { kind: 'redirect', location: redirectWith(request.redirectUri, { code, state: request.state, iss: this.deps.issuer }) };
  }
}
