/**
 * What the second-factor flows share: the account page driven over HTTP (signing in to it,
 * setting up an authenticator app from the secret the page shows), codes computed from that
 * secret as an app would (otpauth, RFC 6238: SHA-1, 6 digits, 30 s), and the two-step sign-in
 * (password, then the Code page) of an authorization request.
 */
import { Secret, TOTP } from 'otpauth';
import { csrfOf, type Hop, type HttpBrowser } from '../../helpers/people.js';
import { recordSecrets } from '../../helpers/secrets.js';

/** The code an authenticator app shows at `nowSeconds` for the secret (base32). */
export function totpCode(secret: string, nowSeconds: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: nowSeconds * 1000 });
}

/** The text of the page's alert, if any. */
export function alertOf(page: string): string | undefined {
  return /role="alert"[^>]*>([^<]*)</.exec(page)?.[1];
}

/** GET /account; signs in through the login page when sent there. Returns the account page. */
export async function openAccount(browser: HttpBrowser, email: string, password: string): Promise<Hop> {
  const first = await browser.request('/account');
  if (first.status === 200) return first;
  if (first.status !== 302 || first.location === null || !first.location.startsWith('/login')) throw new Error(`/account answered ${first.status}`);
  const page = await browser.request(first.location);
  const posted = await browser.request(first.location, { form: { csrf: csrfOf(page.body), email, password } });
  if (posted.status !== 303 || posted.location !== '/account') throw new Error(`the sign-in for /account answered ${posted.status} ${posted.location}`);
  return browser.request('/account');
}

export interface Enrolled {
  readonly secret: string;
  readonly uri: string;
  readonly recoveryCodes: string[];
  /** The page after Verify. */
  readonly page: Hop;
}

/** `Set up an authenticator app`, then `Verify` with the right code at `nowSeconds`. */
export async function enrolTotp(browser: HttpBrowser, accountPage: Hop, nowSeconds: number): Promise<Enrolled> {
  const setup = await browser.request('/account', { form: { csrf: csrfOf(accountPage.body), action: 'totp-setup' } });
  if (setup.status !== 200) throw new Error(`totp-setup answered ${setup.status}`);
  const secret = /data-totp-secret>([A-Z2-7]+)</.exec(setup.body)?.[1];
  const uri = /data-totp-uri href="([^"]+)"/.exec(setup.body)?.[1]?.replaceAll('&amp;', '&');
  const factor = /name="factor" value="([^"]+)"/.exec(setup.body)?.[1];
  if (secret === undefined || uri === undefined || factor === undefined) throw new Error('the set-up page shows no secret, URI or factor');
  recordSecrets(secret);
  const page = await browser.request('/account', { form: { csrf: csrfOf(setup.body), action: 'totp-verify', factor, code: totpCode(secret, nowSeconds) } });
  if (page.status !== 200) throw new Error(`totp-verify answered ${page.status}: ${alertOf(page.body)}`);
  const recoveryCodes = [...page.body.matchAll(/data-recovery-code>([a-z2-7-]+)</g)].map((match) => match[1]!);
  recordSecrets(...recoveryCodes);
  return { secret, uri, recoveryCodes, page };
}

/** Starts an authorization request and posts the password; returns the answer and the login URL. */
export async function passwordStep(browser: HttpBrowser, authorizeUrl: string, email: string, password: string): Promise<{ answer: Hop; action: string }> {
  const start = await browser.request(authorizeUrl);
  if (start.status !== 302 || start.location === null || !start.location.startsWith('/login')) throw new Error(`authorize answered ${start.status} ${start.location}`);
  const page = await browser.request(start.location);
  const answer = await browser.request(start.location, { form: { csrf: csrfOf(page.body), email, password } });
  return { answer, action: start.location };
}

/** Posts a code on the Code page `page` (served at `action`). */
export function codeStep(browser: HttpBrowser, action: string, page: Hop, code: string): Promise<Hop> {
  return browser.request(action, { form: { csrf: csrfOf(page.body), code } });
}

/** From a redirect after sign-in, through consent (Allow) to the redirect back to the client. */
export async function throughConsent(browser: HttpBrowser, hop: Hop): Promise<URL> {
  if (hop.status !== 303 && hop.status !== 302) throw new Error(`expected a redirect, got ${hop.status}: ${alertOf(hop.body)}`);
  let location = hop.location!;
  if (location.startsWith('/consent')) {
    const page = await browser.request(location);
    const allowed = await browser.request(location, { form: { csrf: csrfOf(page.body), decision: 'allow' } });
    location = allowed.location!;
  }
  const url = new URL(location);
  recordSecrets(url.searchParams.get('code'));
  return url;
}
