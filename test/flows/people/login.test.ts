/**
 * The login and consent pages over HTTP: security headers and cookies, CSRF, oversized forms,
 * throttling after repeated wrong passwords (bounded, the right password included), consent
 * (remembered, denied, forced, skipped), and the `users` CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { authorizeUrl, createUser, csrfOf, HttpBrowser, movableClock, PKCE_CHALLENGE, signIn } from '../../helpers/people.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const clock = movableClock();
let server: TestServer;
let client: RegisteredClient;

beforeAll(async () => {
  server = await startInkan({ core: { clock } });
  client = await registerClient(server, [
    '--name', 'Confidential <App>', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid profile email',
  ]);
});
afterAll(async () => {
  await server.stop();
});

const request = (overrides: Record<string, string> = {}) =>
  authorizeUrl(server.issuer, { client_id: client.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid profile', state: 's', ...PKCE_CHALLENGE, ...overrides });

/** Opens the login page of a fresh request; returns its URL and CSRF token. */
async function loginPage(browser = new HttpBrowser(server.issuer), overrides: Record<string, string> = {}) {
  const start = await browser.request(request(overrides));
  const page = await browser.request(start.location!);
  return { browser, action: start.location!, page, csrf: csrfOf(page.body) };
}

describe('the login page', () => {
  it('is served with a strict CSP, frame protection, nosniff, no-referrer and escaped content', async () => {
    const { page } = await loginPage();
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/style-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).toMatch(/form-action 'self' http:\/\/127\.0\.0\.1:9/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/base-uri 'none'/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain('<label for="email">Email</label>');
    expect(page.body).toContain('<label for="password">Password</label>');
    expect(page.body).toContain('>Sign in</button>');
    expect(page.body).toContain('Confidential &lt;App&gt;');
    expect(page.body).not.toMatch(/<(script|link|img)\b/);
  });

  it('sets HttpOnly SameSite=Lax cookies and stores only a hash of the session secret', async () => {
    await createUser(server, 'cookie@example.com', 'cookie-password-1');
    const { browser, action, csrf } = await loginPage();
    const posted = await browser.request(action, { form: { csrf, email: 'cookie@example.com', password: 'cookie-password-1' } });
    expect(posted.status).toBe(303);
    const setCookie = posted.headers.getSetCookie().find((cookie) => cookie.startsWith('inkan_session='))!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/); // the test issuer is http
    const secret = browser.cookies.get('inkan_session')!;
    expect(await server.deps.stores.sessions.findBySecretHash(secret)).toBeUndefined();
  });

  it('refuses a POST without a CSRF token, and with a wrong one, with 403', async () => {
    await createUser(server, 'csrf@example.com', 'csrf-password-1');
    const { browser, action } = await loginPage();
    const without = await browser.request(action, { form: { email: 'csrf@example.com', password: 'csrf-password-1' } });
    expect(without.status).toBe(403);
    expect(without.location).toBeNull();
    expect(without.body).toContain('CSRF');
    const wrong = await browser.request(action, { form: { csrf: 'x'.repeat(43), email: 'csrf@example.com', password: 'csrf-password-1' } });
    expect(wrong.status).toBe(403);
    expect(browser.cookies.has('inkan_session')).toBe(false);
  });

  it('refuses a login form posted from another browser (the request is bound to the browser that started it)', async () => {
    await createUser(server, 'bound@example.com', 'bound-password-1');
    const { action, csrf } = await loginPage();
    const other = new HttpBrowser(server.issuer);
    const posted = await other.request(action, { form: { csrf, email: 'bound@example.com', password: 'bound-password-1' } });
    expect(posted.status).toBe(400);
    expect(posted.body).toContain('another browser');
  });

  it('refuses an oversized form with 413', async () => {
    const { browser, action, csrf } = await loginPage();
    const posted = await browser.request(action, { form: { csrf, email: 'a@example.com', password: 'p'.repeat(20_000) } });
    expect(posted.status).toBe(413);
  });

  it('answers an unknown email exactly like a wrong password', async () => {
    await createUser(server, 'known@example.com', 'known-password-1');
    const answers = [];
    for (const email of ['known@example.com', 'unknown@example.com']) {
      const { browser, action, csrf } = await loginPage();
      const posted = await browser.request(action, { form: { csrf, email, password: 'not-the-password' } });
      answers.push({ status: posted.status, error: /role="alert"[^>]*>([^<]*)</.exec(posted.body)?.[1] });
    }
    expect(answers[0]).toEqual({ status: 401, error: 'The email or password is not correct.' });
    expect(answers[1]).toEqual(answers[0]);
  });
});

describe('throttling', () => {
  it('throttles an account after 10 wrong passwords, the right one included, for a bounded time', async () => {
    await createUser(server, 'victim@example.com', 'the-right-password');
    const attempt = async (password: string) => {
      const { browser, action, csrf } = await loginPage();
      return browser.request(action, { form: { csrf, email: 'victim@example.com', password } });
    };
    // Growing delays from the 5th failure (1, 2, 4, 8, 16 s): the test moves the clock past each.
    for (let i = 1; i <= 10; i++) {
      const answer = await attempt(`wrong-${i}`);
      expect(answer.status).toBe(401);
      clock.advance(i >= 5 && i < 10 ? 2 ** (i - 5) : 0);
    }
    const throttled = await attempt('the-right-password');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(throttled.headers.get('retry-after'))).toBeLessThanOrEqual(900);
    expect(throttled.body).toContain('Too many sign-in attempts');
    expect(throttled.location).toBeNull();

    // Right after the 5th failure the next attempt must wait.
    clock.advance(901);
    const afterBlock = await attempt('the-right-password');
    expect(afterBlock.status).toBe(303);
    expect(afterBlock.location).toContain('/consent');
  });

  it('delays the attempt right after the 5th consecutive failure', async () => {
    await createUser(server, 'delayed@example.com', 'delayed-password-1');
    const attempt = async (password: string) => {
      const { browser, action, csrf } = await loginPage();
      return browser.request(action, { form: { csrf, email: 'delayed@example.com', password } });
    };
    for (let i = 1; i <= 5; i++) expect((await attempt(`wrong-${i}`)).status).toBe(401);
    const early = await attempt('delayed-password-1');
    expect(early.status).toBe(429);
    expect(early.headers.get('retry-after')).toBe('1');
    clock.advance(2);
    expect((await attempt('delayed-password-1')).status).toBe(303);
  });

  it('throttles a client address that fails on many accounts, and forgets it after an hour', async () => {
    clock.advance(3601); // forget the address's failures from the tests above
    const attempt = async (email: string) => {
      const { browser, action, csrf } = await loginPage();
      return browser.request(action, { form: { csrf, email, password: 'guess' } });
    };
    for (let i = 1; i <= 20; i++) expect((await attempt(`spray-${i}@example.com`)).status).toBe(401);
    const blocked = await attempt('spray-21@example.com');
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('1');
    clock.advance(3601);
    expect((await attempt('spray-22@example.com')).status).toBe(401);
    clock.advance(3601);
  });
});

describe('consent', () => {
  it('is shown once, remembered per scope set, and asked again for new scopes or prompt=consent', async () => {
    await createUser(server, 'consent@example.com', 'consent-password-1');
    const browser = new HttpBrowser(server.issuer);
    const first = await signIn(browser, request(), 'consent@example.com', 'consent-password-1');
    expect(first.searchParams.get('code')).toEqual(expect.any(String));
    const remembered = await browser.request(request());
    expect(new URL(remembered.location!).searchParams.get('code')).toEqual(expect.any(String));
    const wider = await browser.request(request({ scope: 'openid profile email' }));
    expect(wider.location).toMatch(/^\/consent\?ix=/);
    const page = await browser.request(wider.location!);
    expect(page.body).toContain('>Allow</button>');
    expect(page.body).toContain('See your email address');
    const forced = await browser.request(request({ prompt: 'consent' }));
    expect(forced.location).toMatch(/^\/consent\?ix=/);
    const none = await browser.request(request({ scope: 'openid profile email', prompt: 'none' }));
    expect(new URL(none.location!).searchParams.get('error')).toBe('consent_required');
  });

  it('sends access_denied with state and iss when the person denies', async () => {
    await createUser(server, 'deny@example.com', 'deny-password-1');
    const callback = await signIn(new HttpBrowser(server.issuer), request(), 'deny@example.com', 'deny-password-1', { consent: 'deny' });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('s');
    expect(callback.searchParams.get('iss')).toBe(server.issuer);
  });

  it('refuses a consent POST with a wrong CSRF token', async () => {
    await createUser(server, 'consent-csrf@example.com', 'consent-password-2');
    const { browser, action, csrf } = await loginPage();
    const posted = await browser.request(action, { form: { csrf, email: 'consent-csrf@example.com', password: 'consent-password-2' } });
    expect(posted.location).toMatch(/^\/consent/);
    await browser.request(posted.location!);
    const denied = await browser.request(posted.location!, { form: { csrf: 'forged', decision: 'allow' } });
    expect(denied.status).toBe(403);
  });

  it('issues one code when the same consent form is posted twice at once', async () => {
    await createUser(server, 'double-click@example.com', 'double-click-pass');
    const { browser, action, csrf } = await loginPage();
    const posted = await browser.request(action, { form: { csrf, email: 'double-click@example.com', password: 'double-click-pass' } });
    const page = await browser.request(posted.location!);
    const form = { csrf: csrfOf(page.body), decision: 'allow' };
    const answers = await Promise.all([browser.request(posted.location!, { form }), browser.request(posted.location!, { form })]);
    const codes = answers.filter((answer) => answer.location !== null && new URL(answer.location, server.issuer).searchParams.has('code'));
    expect(codes).toHaveLength(1);
    const other = answers.find((answer) => !codes.includes(answer))!;
    expect(other.status).toBe(400);
    expect(other.body).toMatch(/already completed|expired/);
  });

  it('is skipped for a client registered with --skip-consent', async () => {
    await createUser(server, 'firstparty@example.com', 'first-party-pass');
    const firstParty = await registerClient(server, ['--name', 'Own', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid', '--skip-consent']);
    const { browser, action, csrf } = await loginPage(new HttpBrowser(server.issuer), { client_id: firstParty.client_id, scope: 'openid' });
    const posted = await browser.request(action, { form: { csrf, email: 'firstparty@example.com', password: 'first-party-pass' } });
    expect(new URL(posted.location!).searchParams.get('code')).toEqual(expect.any(String));
  });
});

describe('users CLI', () => {
  it('creates a user (one trailing newline stripped), refuses a duplicate email in any case, and disables', async () => {
    const created = await server.cli(['users', 'create', '--email', 'Cli.User@Example.com', '--name', 'Cli User', '--password-stdin'], 'pass word with spaces\n');
    expect(created.code).toBe(0);
    const user = created.json<{ id: string; email: string }>();
    expect(user).toEqual({ id: expect.any(String), email: 'Cli.User@Example.com' });
    expect(user.id).not.toContain('@');

    const duplicate = await server.cli(['users', 'create', '--email', 'cli.user@example.COM', '--password-stdin'], 'another-password\n');
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toContain('already exists');
    expect(duplicate.stdout).toBe('');

    const noStdinFlag = await server.cli(['users', 'create', '--email', 'x@example.com'], 'password-123\n');
    expect(noStdinFlag.code).not.toBe(0);

    const browser = new HttpBrowser(server.issuer);
    const signedIn = await signIn(browser, request(), 'cli.user@example.com', 'pass word with spaces');
    expect(signedIn.searchParams.get('code')).toEqual(expect.any(String));

    const disabled = await server.cli(['users', 'disable', '--email', 'cli.user@example.com']);
    expect(disabled.code).toBe(0);
    expect(disabled.json()).toEqual({ disabled: 'cli.user@example.com' });
    // The session ended: a silent request needs a login now, and the password no longer works.
    const silent = await browser.request(request({ prompt: 'none' }));
    expect(new URL(silent.location!).searchParams.get('error')).toBe('login_required');
    const { browser: again, action, csrf } = await loginPage();
    expect((await again.request(action, { form: { csrf, email: 'cli.user@example.com', password: 'pass word with spaces' } })).status).toBe(401);

    const unknown = await server.cli(['users', 'disable', '--email', 'nobody@example.com']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no user');
  });
});
