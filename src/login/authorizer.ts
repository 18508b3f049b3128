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
 *
 * How the person authenticated is part of the login (oauth/authentication-context.ts): the session
 * keeps its RFC 8176 methods, and each code records the methods and the `acr` decided for its
 * request. The sign-in has up to two steps: the password, then, for a person who holds a TOTP
 * authenticator, a code (TOTP or recovery code). Between them the request holds the first factor
 * (`partialUserId`/`partialMethods`) and no session exists, so a password alone never yields a
 * session that can mint tokens for such a person.
 *
 * Step-up (`acr_values`, OIDC Core §3.1.2.1): the weakest requested class must be reached.
 *  - `urn:inkan:acr:mfa`: a session without a second factor presents one first (the Code page, no
 *    password again) when the person holds a TOTP authenticator; one who holds only a passkey is
 *    asked to sign in with it. A person with neither is signed in as they can be: acr_values is
 *    voluntary, the ID token's `acr` (`urn:inkan:acr:pwd`) tells the client what happened, and a
 *    client that must have more refuses it (Keycloak's behaviour for a non-essential acr).
 *  - `phr`: only a passkey sign-in reaches it; a password sign-in is refused on the page.
 * `max_age` and `prompt=login` ask for the whole sign-in again (password and second factor).
 * `prompt=none` with a step-up needed answers `interaction_required`.
 *
 * Inkan's own pages (the account page) sign in through the same steps: `startAccountSignIn` makes
 * a pending request with `returnTo` and no client, which ends in a redirect to that path.
 *
 * A passkey sign-in (passkeyOptions, submitPasskey) is one step on the same page: its WebAuthn
 * ceremony is bound to this pending request (and so to the browser), and a verified passkey
 * completes the sign-in with the passkey's methods (passkeys/ceremonies.ts `passkeyAuthMethods`),
 * starting or upgrading the session and moving the request on like a password sign-in does.
 */
import type { Clock } from '../clock.js';
import type { AuthorizationRequestRecord, PendingAuthorization } from '../storage/authorizations.js';
import type { ClientRecord } from '../storage/clients.js';
import type { UserRecord } from '../storage/people.js';
import type { Stores } from '../storage/stores.js';
import { OAuthError } from '../oauth/errors.js';
import { redirectWith } from '../oauth/redirect-uri.js';
import {
  ACR_MFA,
  ACR_PHISHING_RESISTANT,
  acrClaim,
  normalizeMethods,
  parseAcrValues,
  parseMethods,
  requiredAcr,
  satisfies,
  type Acr,
  type AuthMethod,
} from '../oauth/authentication-context.js';
import { hashSecret, randomSecret, secretMatches } from '../tokens/secrets.js';
import { addressKey, type LoginThrottle } from '../accounts/throttle.js';
import type { FactorSources, HeldFactors, SecondFactorCodes } from '../accounts/factors.js';
import { AuthorizationError, validateAuthorizationRequest, type RawParameters } from './authorization-request.js';
import { findLiveSession, startSession, type LiveSession } from './sessions.js';
import type { Revoker } from '../revocation/revoker.js';
import type { SignInObserver } from '../audit/sign-ins.js';
import type { DeviceAuthorizationObserver } from '../audit/device-authorizations.js';
import { signIn } from './sign-in.js';
import { passkeyAuthMethods, type PasskeyCeremonies, type SignInOptions } from '../passkeys/ceremonies.js';
import { englishText, type Refusal } from '../i18n/refusals.js';
import { InteractionError, type BrowserCookies, type InteractionView, type LoginOutcome, type Step } from './steps.js';

/** How long a person has to sign in and consent. */
export const INTERACTION_TTL_SECONDS = 15 * 60;
/** RFC 6749 §4.1.2 recommends at most 10 minutes; Inkan's codes live 60 seconds. */
export const AUTHORIZATION_CODE_TTL_SECONDS = 60;

/** What the page says when only a passkey can satisfy the request. */
const PASSKEY_REQUIRED: Refusal = { key: 'passkeyRequired' };
export const PASSKEY_REQUIRED_MESSAGE = englishText(PASSKEY_REQUIRED);

export interface AuthorizerDeps {
  readonly stores: Pick<Stores, 'clients' | 'users' | 'sessions' | 'consents' | 'authorizationRequests' | 'authorizationCodes' | 'sessionClients' | 'deviceAuthorizations'>;
  readonly clock: Clock;
  readonly issuer: string;
  /** The login form's brute-force throttle (login/sign-in.ts). */
  readonly throttle: LoginThrottle;
  /** PENDING_SIGNINS_PER_ADDRESS: how many live pending requests one client address may hold. */
  readonly pendingPerAddress: number;
  /** Ends the previous person's session when another one signs in in the same browser. */
  readonly revoker: Pick<Revoker, 'endSession'>;
  /** Where the browser is sent for the login and consent pages, and after a device's Allow or Deny (see browserPath). */
  readonly paths: { readonly login: string; readonly consent: string; readonly deviceDone: string };
  /** Told of each person's decision on a device authorization: the audit line and the metric. */
  readonly devices?: DeviceAuthorizationObserver;
  /** Told of every sign-in's outcome: the audit line and the metric (audit/sign-ins.ts). */
  readonly signIns?: SignInObserver;
  /** The person's factors beyond a password, and the check of the Code step; without them, passwords only. */
  readonly secondFactors?: { readonly factors: Pick<FactorSources, 'held'>; readonly codes: SecondFactorCodes };
  /** Passkey sign-in; absent when the issuer cannot be a WebAuthn relying party (passkeys/relying-party.ts). */
  readonly passkeys?: PasskeyCeremonies;
}

const NO_FACTORS: HeldFactors = { code: false, passkey: false };

/** The login a code is issued for. */
interface CompletedLogin {
  readonly sessionId: string;
  readonly userId: string;
  readonly authTime: number;
  readonly authMethods: readonly string[];
}

const loginOf = (live: LiveSession): CompletedLogin => ({
  sessionId: live.session.id,
  userId: live.user.id,
  authTime: live.session.authTime,
  authMethods: live.session.authMethods,
});

/** Where a request needs the person to go before it can be completed. */
type Needed = 'nothing' | 'sign-in' | 'second-factor';

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

  private live(cookies: Partial<BrowserCookies>): Promise<LiveSession | undefined> {
    return findLiveSession({ sessions: this.deps.stores.sessions, users: this.deps.stores.users, clock: this.deps.clock }, cookies.sessionSecret);
  }

  private held(userId: string): Promise<HeldFactors> {
    return this.deps.secondFactors?.factors.held(userId) ?? Promise.resolve(NO_FACTORS);
  }

  /** The request's acr_values Inkan knows (read again: a stored request is data, not a type). */
  private static requested(request: PendingAuthorization): Acr[] {
    return parseAcrValues((request.acrValues ?? []).join(' '));
  }

  /**
   * Whether `methods` reach what the request asks, for a person holding `held`: the required
   * class, unless it is `urn:inkan:acr:mfa` and the person holds nothing that reaches it
   * (voluntary, see the header).
   */
  private static reaches(request: PendingAuthorization, methods: readonly AuthMethod[], held: HeldFactors): boolean {
    const required = requiredAcr(Authorizer.requested(request));
    if (required === undefined || satisfies(methods, required)) return true;
    if (required === ACR_PHISHING_RESISTANT) return false;
    return required === ACR_MFA && !held.code && !held.passkey;
  }

  /** What the live session lacks for this request. */
  private async needed(request: PendingAuthorization, live: LiveSession | undefined): Promise<Needed> {
    // select_account: the sign-in page is where a person picks the account (one session per browser).
    if (live === undefined || request.prompt.includes('login') || request.prompt.includes('select_account')) return 'sign-in';
    if (request.maxAgeSeconds !== null && this.now() - live.session.authTime > request.maxAgeSeconds) return 'sign-in';
    const methods = parseMethods(live.session.authMethods.join(' '));
    const required = requiredAcr(Authorizer.requested(request));
    // Nothing asked, or already reached: no need to look at the person's factors.
    if (required === undefined || satisfies(methods, required)) return 'nothing';
    const held = await this.held(live.user.id);
    if (Authorizer.reaches(request, methods, held)) return 'nothing';
    // A second factor on top of the session's password reaches urn:inkan:acr:mfa; phr needs a passkey sign-in.
    const stepUp = required === ACR_MFA && held.code && !methods.includes('otp');
    return stepUp ? 'second-factor' : 'sign-in';
  }

  private async consentSatisfied(request: PendingAuthorization, client: ClientRecord | undefined, userId: string): Promise<boolean> {
    if (client === undefined) return true;
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
    const needed = await this.needed(request, live);
    const loggedIn = needed === 'nothing';
    const consented = loggedIn && (await this.consentSatisfied(request, client, live!.user.id));

    if (request.prompt.includes('none')) {
      if (needed === 'second-factor') {
        return this.errorRedirect(request.redirectUri, request.state, new OAuthError('interaction_required', 'the requested acr needs the user to present a second factor'));
      }
      if (!loggedIn) return this.errorRedirect(request.redirectUri, request.state, new OAuthError('login_required', 'the user is not signed in'));
      if (!consented) return this.errorRedirect(request.redirectUri, request.state, new OAuthError('consent_required', 'the user has not consented'));
    }
    if (loggedIn && consented) return this.complete(request, loginOf(live!));

    // A step-up keeps the session's id: the code completes it only while that session lives.
    const stepUp = needed === 'second-factor' ? live : undefined;
    const id = await this.insertPending(request, cookies, clientAddress, {
      ...(loggedIn ? { userId: live!.user.id, sessionId: live!.session.id, authTime: live!.session.authTime } : {}),
      ...(stepUp !== undefined ? { sessionId: stepUp.session.id, partialUserId: stepUp.user.id, partialMethods: stepUp.session.authMethods } : {}),
    });
    if (id === undefined) {
      const busy = new OAuthError('temporarily_unavailable', 'too many sign-ins are in progress from this address; try again later');
      return this.errorRedirect(request.redirectUri, request.state, busy);
    }
    return { kind: 'redirect', location: `${loggedIn ? this.deps.paths.consent : this.deps.paths.login}?ix=${id}` };
  }

  /** A pending request row, or undefined when the address holds too many already. */
  private async insertPending(
    request: PendingAuthorization,
    cookies: BrowserCookies,
    clientAddress: string,
    state: Partial<Pick<AuthorizationRequestRecord, 'userId' | 'sessionId' | 'authTime' | 'partialUserId' | 'partialMethods'>>,
  ): Promise<string | undefined> {
    const now = this.now();
    const address = addressKey(clientAddress);
    if ((await this.deps.stores.authorizationRequests.countLive(address, now)) >= this.deps.pendingPerAddress) return undefined;
    const id = randomSecret(24);
    await this.deps.stores.authorizationRequests.insert({
      id,
      browserHash: hashSecret(cookies.browserSecret),
      csrfHash: null,
      request,
      userId: state.userId ?? null,
      sessionId: state.sessionId ?? null,
      authTime: state.authTime ?? null,
      consented: false,
      createdAt: now,
      expiresAt: now + INTERACTION_TTL_SECONDS,
      addressKey: address,
      partialUserId: state.partialUserId ?? null,
      partialMethods: state.partialMethods ?? null,
    });
    return id;
  }

  /**
   * Inkan's own sign-in, for its account page: the same login page and steps as an authorization
   * request, then back to `returnTo` (a path of Inkan's). `reauthenticate` asks for the whole
   * sign-in again even with a live session (prompt=login). Returns where to send the browser.
   */
  async startAccountSignIn(returnTo: string, cookies: BrowserCookies, clientAddress: string, options: { reauthenticate?: boolean } = {}): Promise<Step> {
    const request: PendingAuthorization = {
      clientId: '',
      redirectUri: returnTo,
      scopes: [],
      state: null,
      nonce: null,
      codeChallenge: null,
      prompt: options.reauthenticate === true ? ['login'] : [],
      maxAgeSeconds: null,
      loginHint: null,
      returnTo,
    };
    const id = await this.insertPending(request, cookies, clientAddress, {});
    if (id === undefined) {
      return { kind: 'error-page', status: 429, error: new OAuthError('temporarily_unavailable', 'too many sign-ins are in progress from this address; try again later', { status: 429 }) };
    }
    return { kind: 'redirect', location: `${this.deps.paths.login}?ix=${id}` };
  }

  /**
   * A device authorization whose user code the person typed (device-verification.ts): the same
   * sign-in steps, then the consent page, always (prompt=consent).
   */
  async startDeviceApproval(
    device: { readonly id: string; readonly clientId: string; readonly scopes: readonly string[] },
    cookies: BrowserCookies,
    clientAddress: string,
  ): Promise<Step> {
    const request: PendingAuthorization = {
      clientId: device.clientId,
      redirectUri: '',
      scopes: device.scopes,
      state: null,
      nonce: null,
      codeChallenge: null,
      prompt: ['consent'],
      maxAgeSeconds: null,
      loginHint: null,
      deviceAuthorizationId: device.id,
    };
    const live = await this.live(cookies);
    const loggedIn = (await this.needed(request, live)) === 'nothing';
    const id = await this.insertPending(request, cookies, clientAddress, loggedIn ? { userId: live!.user.id, sessionId: live!.session.id, authTime: live!.session.authTime } : {});
    if (id === undefined) {
      return { kind: 'error-page', status: 429, error: new OAuthError('temporarily_unavailable', 'too many sign-ins are in progress from this address; try again later', { status: 429 }) };
    }
    return { kind: 'redirect', location: `${loggedIn ? this.deps.paths.consent : this.deps.paths.login}?ix=${id}` };
  }

  /** Records the person's Allow or Deny with the device authorization; then the done page. */
  private async decideDevice(deviceAuthorizationId: string, clientId: string, userId: string, approval: { sessionId: string; authTime: number; methods: readonly string[] } | undefined): Promise<Step> {
    const now = this.now();
    const methods = approval === undefined ? [] : parseMethods(approval.methods.join(' '));
    const decided = await this.deps.stores.deviceAuthorizations.decide(
      deviceAuthorizationId,
      approval === undefined
        ? { status: 'denied' }
        : { status: 'approved', approval: { userId, sessionId: approval.sessionId, authTime: approval.authTime, authMethods: methods, acr: acrClaim(methods, []) } },
      now,
    );
    if (!decided) throw new InteractionError({ key: 'deviceCodeSpent' });
    // Back-channel logout: the approving session has now signed in to this client (backchannel-logout/).
    if (approval !== undefined) await this.deps.stores.sessionClients.record(approval.sessionId, clientId, now);
    const decision = approval === undefined ? 'denied' : 'approved';
    this.deps.devices?.decided({ decision, sub: userId, clientId, id: deviceAuthorizationId }, { requestId: undefined, address: undefined });
    return { kind: 'redirect', location: `${this.deps.paths.deviceDone}?result=${decision}` };
  }

  /** The pending request this browser may continue, or an InteractionError for the error page. */
  private async pending(id: string | undefined, browserSecret: string | undefined): Promise<{ record: AuthorizationRequestRecord; client: ClientRecord | undefined }> {
    const record = id === undefined || id.length > 100 ? undefined : await this.deps.stores.authorizationRequests.find(id);
    if (record === undefined || record.expiresAt <= this.now()) {
      throw new InteractionError({ key: 'requestExpired' });
    }
    const sameBrowser = browserSecret !== undefined && secretMatches(browserSecret, record.browserHash);
    if (!sameBrowser) throw new InteractionError({ key: 'otherBrowser' });
    if (record.request.returnTo !== undefined) return { record, client: undefined };
    const client = await this.deps.stores.clients.find(record.request.clientId);
    if (client === undefined) throw new InteractionError({ key: 'clientGone' });
    return { record, client };
  }

  private async view(record: AuthorizationRequestRecord, client: ClientRecord | undefined): Promise<InteractionView> {
    const csrfToken = randomSecret();
    await this.deps.stores.authorizationRequests.update(record.id, { csrfHash: hashSecret(csrfToken) });
    const shownUser = record.userId ?? record.partialUserId ?? null;
    const user = shownUser === null ? undefined : await this.deps.stores.users.find(shownUser);
    return {
      id: record.id,
      client,
      request: record.request,
      csrfToken,
      userEmail: user?.email ?? null,
      stage: record.partialUserId != null ? 'second-factor' : 'password',
      passkeyRequired: requiredAcr(Authorizer.requested(record.request)) === ACR_PHISHING_RESISTANT,
    };
  }

  private csrfMatches(record: AuthorizationRequestRecord, token: string | undefined): boolean {
    return token !== undefined && secretMatches(token, record.csrfHash);
  }

  private checkCsrf(record: AuthorizationRequestRecord, token: string | undefined): void {
    if (!this.csrfMatches(record, token)) throw new OAuthError('invalid_request', 'the form has expired or did not come from this site (CSRF token mismatch)', { status: 403 });
  }

  /** GET /login?ix=… : the password page, or the Code page when the first factor is done. */
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
    this.checkCsrf(record, form.csrf);
    const email = (form.email ?? '').trim();
    const signedIn = await signIn(
      { users: this.deps.stores.users, throttle: this.deps.throttle, observer: this.deps.signIns },
      { email, clientId: client?.clientId ?? '', requestId, address: clientAddress },
      form.password,
    );
    // Refused: the form again, with a fresh CSRF token.
    if (signedIn.kind === 'refused') return { ...signedIn, kind: 'form', view: await this.view(record, client), email };
    const { user } = signedIn;
    const methods: AuthMethod[] = ['pwd'];
    const held = await this.held(user.id);
    // No code after a password reaches phr: say so now rather than after the Code step.
    if (requiredAcr(Authorizer.requested(record.request)) === ACR_PHISHING_RESISTANT) {
      return { kind: 'form', status: 403, view: await this.view(record, client), message: PASSKEY_REQUIRED_MESSAGE, refusal: PASSKEY_REQUIRED, email };
    }
    if (held.code) {
      // The password is right; the session waits for the second factor (a fresh request state,
      // whatever an earlier attempt in this request left).
      const partial = { partialUserId: user.id, partialMethods: methods, userId: null, sessionId: null, authTime: null };
      await this.deps.stores.authorizationRequests.update(record.id, partial);
      return { kind: 'form', status: 200, view: await this.view({ ...record, ...partial }, client), message: undefined, email };
    }
    if (!Authorizer.reaches(record.request, methods, held)) {
      return { kind: 'form', status: 403, view: await this.view(record, client), message: PASSKEY_REQUIRED_MESSAGE, refusal: PASSKEY_REQUIRED, email };
    }
    return this.finish(record, client, cookies, user, methods);
  }

  /** POST /login with a Code: the second step (a TOTP or a recovery code). */
  async submitCode(
    id: string | undefined,
    cookies: Partial<BrowserCookies>,
    form: { csrf: string | undefined; code: string | undefined },
    clientAddress: string,
    requestId?: string,
  ): Promise<LoginOutcome> {
    const { record, client } = await this.pending(id, cookies.browserSecret);
    this.checkCsrf(record, form.csrf);
    const user = record.partialUserId == null ? undefined : await this.deps.stores.users.find(record.partialUserId);
    // A step-up (the first factor is the session's) needs that session still live in this browser.
    const stepUpLost = record.sessionId !== null && (await this.live(cookies))?.session.id !== record.sessionId;
    if (user === undefined || user.disabledAt !== null || this.deps.secondFactors === undefined || stepUpLost) {
      // Nothing waits for a code here (or the person or the session is gone): the password page again.
      await this.deps.stores.authorizationRequests.update(record.id, { partialUserId: null, partialMethods: null, sessionId: null });
      return { kind: 'redirect', location: `${this.deps.paths.login}?ix=${record.id}` };
    }
    const outcome = await this.deps.secondFactors.codes.check(
      { userId: user.id, email: user.email, clientId: client?.clientId ?? '', requestId, address: clientAddress },
      form.code,
    );
    if (outcome.kind === 'refused') return { ...outcome, kind: 'form', view: await this.view(record, client), email: user.email };
    const methods = normalizeMethods([...parseMethods((record.partialMethods ?? []).join(' ')), 'otp']);
    if (!Authorizer.reaches(record.request, methods, await this.held(user.id))) {
      const reset = { partialUserId: null, partialMethods: null, sessionId: null };
      await this.deps.stores.authorizationRequests.update(record.id, reset);
      return { kind: 'form', status: 403, view: await this.view({ ...record, ...reset }, client), message: PASSKEY_REQUIRED_MESSAGE, refusal: PASSKEY_REQUIRED, email: user.email };
    }
    return this.finish(record, client, cookies, user, methods);
  }

  /**
   * The one way a sign-in completes, whatever its methods (a password, a password and a code, a
   * passkey): starts the session (or upgrades this browser's session of the same person), then
   * consent, the code or `returnTo`.
   */
  private async finish(
    record: AuthorizationRequestRecord,
    client: ClientRecord | undefined,
    cookies: Partial<BrowserCookies>,
    user: UserRecord,
    methods: readonly AuthMethod[],
  ): Promise<Step> {
    const previous = await this.live(cookies);
    const started = await startSession(
      { sessions: this.deps.stores.sessions, users: this.deps.stores.users, clock: this.deps.clock, revoker: this.deps.revoker },
      user.id,
      previous?.session,
      methods,
    );
    const changes = { userId: user.id, sessionId: started.session.id, authTime: started.session.authTime, csrfHash: null, partialUserId: null, partialMethods: null };
    await this.deps.stores.authorizationRequests.update(record.id, changes);
    const next = await this.proceed({ ...record, ...changes }, client, started.session.authMethods);
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
    this.checkCsrf(record, csrf);
    if (this.deps.passkeys === undefined) throw new OAuthError('invalid_request', 'passkeys are not available on this server', { status: 404 });
    return this.deps.passkeys.authenticationOptions(passkeySignInBinding(record.id));
  }

  /**
   * POST /login/passkey: the browser's answer to passkeyOptions. Like submitLogin, but no email or
   * password: a verified passkey completes the sign-in with its methods (`hwk`/`swk`, `user`).
   */
  async submitPasskey(
    id: string | undefined,
    cookies: Partial<BrowserCookies>,
    form: { csrf: string | undefined; credential: string | undefined },
    clientAddress: string,
    requestId?: string,
  ): Promise<LoginOutcome> {
    const { record, client } = await this.pending(id, cookies.browserSecret);
    this.checkCsrf(record, form.csrf);
    if (this.deps.passkeys === undefined) throw new OAuthError('invalid_request', 'passkeys are not available on this server', { status: 404 });
    const result = await this.deps.passkeys.authenticate(passkeySignInBinding(record.id), form.credential, { clientId: client?.clientId ?? '', requestId, address: clientAddress });
    if (!result.ok) return { kind: 'form', status: result.reason === 'disabled' ? 403 : 401, view: await this.view(record, client), message: result.message, refusal: result.refusal, email: '' };
    return this.finish(record, client, cookies, result.value.user, passkeyAuthMethods(result.value));
  }

  /** After a step: consent if needed, else the code (or, for Inkan's own pages, back to them). */
  private async proceed(record: AuthorizationRequestRecord, client: ClientRecord | undefined, methods: readonly string[]): Promise<Step> {
    if (record.userId === null || record.sessionId === null || record.authTime === null) {
      return { kind: 'redirect', location: `${this.deps.paths.login}?ix=${record.id}` };
    }
    if (!record.consented && !(await this.consentSatisfied(record.request, client, record.userId))) {
      return { kind: 'redirect', location: `${this.deps.paths.consent}?ix=${record.id}` };
    }
    // Two posts of the same form (a double click, two tabs) race here: only the one that removes
    // the pending request issues a code.
    if (!(await this.deps.stores.authorizationRequests.delete(record.id))) {
      throw new InteractionError({ key: 'requestCompleted' });
    }
    if (record.request.returnTo !== undefined) return { kind: 'redirect', location: record.request.returnTo };
    if (record.request.deviceAuthorizationId !== undefined) {
      return this.decideDevice(record.request.deviceAuthorizationId, record.request.clientId, record.userId, { sessionId: record.sessionId, authTime: record.authTime, methods });
    }
    return this.complete(record.request, { sessionId: record.sessionId, userId: record.userId, authTime: record.authTime, authMethods: methods });
  }

  /** The session must still be the one the request was signed in with; else back to the login step. */
  private async signedIn(record: AuthorizationRequestRecord, cookies: Partial<BrowserCookies>): Promise<LiveSession | undefined> {
    if (record.sessionId === null || record.userId === null) return undefined;
    const live = await this.live({ sessionSecret: cookies.sessionSecret, browserSecret: '' });
    return live !== undefined && live.session.id === record.sessionId ? live : undefined;
  }

  /** GET /consent?ix=… : a view, or a redirect to the login step when the session is gone. */
  async consentPage(id: string | undefined, cookies: Partial<BrowserCookies>): Promise<InteractionView | Step> {
    const { record, client } = await this.pending(id, cookies.browserSecret);
    if ((await this.signedIn(record, cookies)) === undefined) return { kind: 'redirect', location: `${this.deps.paths.login}?ix=${record.id}` };
    return this.view(record, client);
  }

  /** POST /consent with decision allow or deny. */
  async submitConsent(
    id: string | undefined,
    cookies: Partial<BrowserCookies>,
    form: { csrf: string | undefined; decision: string | undefined },
  ): Promise<Step> {
    const { record, client } = await this.pending(id, cookies.browserSecret);
    this.checkCsrf(record, form.csrf);
    const live = await this.signedIn(record, cookies);
    if (live === undefined) return { kind: 'redirect', location: `${this.deps.paths.login}?ix=${record.id}` };
    if (client === undefined) return this.proceed(record, client, live.session.authMethods);
    if (form.decision === 'deny') {
      await this.deps.stores.authorizationRequests.delete(record.id);
      if (record.request.deviceAuthorizationId !== undefined) return this.decideDevice(record.request.deviceAuthorizationId, client.clientId, live.user.id, undefined);
      return this.errorRedirect(record.request.redirectUri, record.request.state, new OAuthError('access_denied', 'the user denied the request'));
    }
    if (form.decision !== 'allow') throw new OAuthError('invalid_request', 'decision must be allow or deny');
    await this.deps.stores.consents.grant(record.userId!, client.clientId, record.request.scopes, this.now());
    return this.proceed({ ...record, consented: true }, client, live.session.authMethods);
  }

  /**
   * Issues the single-use code and redirects to the client with code, state and iss (RFC 9207).
   * The code records the login's methods and the `acr` they give for this request.
   */
  private async complete(request: PendingAuthorization, { sessionId, userId, authTime, authMethods }: CompletedLogin): Promise<Step> {
    const methods = parseMethods(authMethods.join(' '));
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
      authMethods: methods,
      acr: acrClaim(methods, Authorizer.requested(request)),
      createdAt: now,
      expiresAt: now + AUTHORIZATION_CODE_TTL_SECONDS,
      consumedAt: null,
      grantId: null,
      replayedAt: null,
    });
    // Back-channel logout: this session has now signed in to this client (backchannel-logout/).
    await this.deps.stores.sessionClients.record(sessionId, request.clientId, now);
    return { kind: 'redirect', location: redirectWith(request.redirectUri, { code, state: request.state, iss: this.deps.issuer }) };
  }
}
