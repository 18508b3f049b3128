/**
 * The pages' language over HTTP: `ui_locales` (OIDC Core §3.1.2.1) of the authorization request,
 * kept through the sign-in, Code and consent pages; then Accept-Language; then English. Every page
 * says its language in `<html lang>` (and Content-Language); discovery lists ui_locales_supported;
 * RP-initiated logout takes `ui_locales` too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { authorizeUrl, createUser, csrfOf, HttpBrowser, movableClock, PKCE_CHALLENGE } from '../../helpers/people.js';
import { alertOf, codeStep, enrolTotp, openAccount, passwordStep } from '../second-factors/support.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const clock = movableClock();
let server: TestServer;
let client: RegisteredClient;

beforeAll(async () => {
  server = await startInkan({ core: { clock } });
  client = await registerClient(server, ['--name', 'Notes', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid profile email offline_access']);
  await createUser(server, 'kana@example.com', 'kana-password-1');
});
afterAll(async () => {
  await server.stop();
});

const request = (overrides: Record<string, string> = {}) =>
  authorizeUrl(server.issuer, { client_id: client.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email offline_access', state: 's', ...PKCE_CHALLENGE, ...overrides });

/** The sign-in page of a fresh request in a fresh browser sending `headers`. */
async function loginPage(overrides: Record<string, string>, headers: Record<string, string> = {}) {
  const browser = new HttpBrowser(server.issuer);
  const start = await browser.request(request(overrides), { headers });
  expect(start.status).toBe(302);
  const page = await browser.request(start.location!, { headers });
  expect(page.status).toBe(200);
  return { browser, action: start.location!, page };
}

const langOf = (body: string) => /<html lang="([^"]+)">/.exec(body)?.[1];

describe('the language of the sign-in pages', () => {
  it('is Japanese for ui_locales=ja, through the sign-in and consent pages', async () => {
    const { browser, action, page } = await loginPage({ ui_locales: 'ja' });
    expect(langOf(page.body)).toBe('ja');
    expect(page.headers.get('content-language')).toBe('ja');
    expect(page.body).toContain('<label for="email">メールアドレス</label>');
    expect(page.body).toContain('<label for="password">パスワード</label>');
    expect(page.body).toContain('>サインイン</button>');
    expect(page.body).toContain('<strong>Notes</strong> に進むにはサインインしてください');

    // A wrong password: the page again, its alert in Japanese.
    const wrong = await browser.request(action, { form: { csrf: csrfOf(page.body), email: 'kana@example.com', password: 'nope' } });
    expect(wrong.status).toBe(401);
    expect(langOf(wrong.body)).toBe('ja');
    expect(alertOf(wrong.body)).toBe('メールアドレスまたはパスワードが正しくありません。');

    // The browser says German: the request's ui_locales still wins on the next page.
    const posted = await browser.request(action, { form: { csrf: csrfOf(wrong.body), email: 'kana@example.com', password: 'kana-password-1' }, headers: { 'accept-language': 'de' } });
    expect(posted.status).toBe(303);
    expect(posted.location).toMatch(/^\/consent\?/);
    const consent = await browser.request(posted.location!, { headers: { 'accept-language': 'de' } });
    expect(langOf(consent.body)).toBe('ja');
    expect(consent.body).toContain('<h1>アクセスを許可しますか？</h1>');
    expect(consent.body).toContain('>許可する</button>');
    expect(consent.body).toContain('<li>メールアドレスを参照する</li>');
    expect(consent.body).toContain('<li>ご利用になっていない間も接続を維持する</li>');
    expect(consent.body).toContain('kana@example.com</strong> としてサインインしています');
  });

  it('keeps ui_locales on the Code page of a person with an authenticator app', async () => {
    const browser = new HttpBrowser(server.issuer);
    await createUser(server, 'totp-ja@example.com', 'totp-ja-password-1');
    await enrolTotp(browser, await openAccount(browser, 'totp-ja@example.com', 'totp-ja-password-1'), clock.nowSeconds());

    const signingIn = new HttpBrowser(server.issuer);
    const { answer, action } = await passwordStep(signingIn, request({ ui_locales: 'ja' }), 'totp-ja@example.com', 'totp-ja-password-1');
    expect(answer.status).toBe(200);
    expect(langOf(answer.body)).toBe('ja');
    expect(answer.body).toContain('<h1>確認コードを入力してください</h1>');
    expect(answer.body).toContain('<label for="code">確認コード</label>');
    expect(answer.body).toContain('>確認</button>');
    const wrong = await codeStep(signingIn, action, answer, '000000');
    expect(wrong.status).toBe(401);
    expect(langOf(wrong.body)).toBe('ja');
    expect(alertOf(wrong.body)).toBe('コードが正しくありません。もう一度お試しください。');
  });

  it('is German for ui_locales="fr de" (the first supported entry)', async () => {
    const { page } = await loginPage({ ui_locales: 'fr de' }, { 'accept-language': 'ja' });
    expect(langOf(page.body)).toBe('de');
    expect(page.body).toContain('<label for="email">E-Mail-Adresse</label>');
    expect(page.body).toContain('<label for="password">Passwort</label>');
    expect(page.body).toContain('>Anmelden</button>');
    expect(page.body).toContain('um mit <strong>Notes</strong> fortzufahren');
  });

  it('is German for Accept-Language: de-DE,de;q=0.9,en;q=0.5 without ui_locales', async () => {
    const { page } = await loginPage({}, { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' });
    expect(langOf(page.body)).toBe('de');
    expect(page.body).toContain('<title>Anmelden · Inkan</title>');
  });

  it('follows Accept-Language quality values', async () => {
    const { page } = await loginPage({}, { 'accept-language': 'en;q=0.3, ja;q=0.8, de;q=0.5' });
    expect(langOf(page.body)).toBe('ja');
  });

  it('is English for languages Inkan does not have, with the contract labels', async () => {
    const { page } = await loginPage({ ui_locales: 'fr-CA fr' }, { 'accept-language': 'pt-BR, es;q=0.8' });
    expect(langOf(page.body)).toBe('en');
    expect(page.body).toContain('<label for="email">Email</label>');
    expect(page.body).toContain('<label for="password">Password</label>');
    expect(page.body).toContain('>Sign in</button>');
    const { page: plain } = await loginPage({});
    expect(langOf(plain.body)).toBe('en');
  });

  it('speaks the request ui_locales on an error page before a client is known', async () => {
    const browser = new HttpBrowser(server.issuer);
    const page = await browser.request(authorizeUrl(server.issuer, { client_id: 'no-such-client', redirect_uri: REDIRECT, ui_locales: 'de' }));
    expect(page.status).toBe(400);
    expect(langOf(page.body)).toBe('de');
    expect(page.body).toContain('<h1>Diese Anfrage kann nicht fortgesetzt werden</h1>');
  });

  it('answers an expired sign-in in the browser language', async () => {
    const browser = new HttpBrowser(server.issuer);
    const page = await browser.request('/login?ix=no-such-request', { headers: { 'accept-language': 'ja' } });
    expect(page.status).toBe(400);
    expect(langOf(page.body)).toBe('ja');
    expect(page.body).toContain('<h1>このサインインは続行できません</h1>');
  });
});

describe('the other pages', () => {
  it('serves the account page in the browser language', async () => {
    const browser = new HttpBrowser(server.issuer);
    await createUser(server, 'konto@example.com', 'konto-password-1');
    const first = await browser.request('/account', { headers: { 'accept-language': 'de' } });
    const login = await browser.request(first.location!, { headers: { 'accept-language': 'de' } });
    expect(langOf(login.body)).toBe('de');
    expect(login.body).toContain('um mit <strong>Ihr Inkan-Konto</strong> fortzufahren');
    await browser.request(first.location!, { form: { csrf: csrfOf(login.body), email: 'konto@example.com', password: 'konto-password-1' } });
    const account = await browser.request('/account', { headers: { 'accept-language': 'de' } });
    expect(langOf(account.body)).toBe('de');
    expect(account.body).toContain('<h1>Ihr Konto</h1>');
    expect(account.body).toContain('>Authenticator-App einrichten</button>');
  });

  it('serves the sign-out confirmation and the signed-out page in the ui_locales of the logout request', async () => {
    const browser = new HttpBrowser(server.issuer);
    await createUser(server, 'sayonara@example.com', 'sayonara-password-1');
    await openAccount(browser, 'sayonara@example.com', 'sayonara-password-1');
    const confirm = await browser.request('/end-session?ui_locales=ja');
    expect(confirm.status).toBe(200);
    expect(langOf(confirm.body)).toBe('ja');
    expect(confirm.body).toContain('<h1>サインアウトしますか？</h1>');
    expect(confirm.body).toContain('<input type="hidden" name="ui_locales" value="ja">');
    const done = await browser.request('/end-session', { form: { csrf: csrfOf(confirm.body), confirm: 'yes', ui_locales: 'ja' } });
    expect(done.status).toBe(200);
    expect(langOf(done.body)).toBe('ja');
    expect(done.body).toContain('<h1>サインアウトしました</h1>');
  });
});

it('lists ui_locales_supported in discovery', async () => {
  const discovery = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  expect(discovery.ui_locales_supported).toEqual(['en', 'ja', 'de']);
});
