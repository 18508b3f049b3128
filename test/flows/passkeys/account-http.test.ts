/**
 * The account page's passkeys over HTTP, with a software authenticator: adding one (POST
 * /account/passkeys/options, then the page's `passkey-add` action), the options refused as JSON
 * to a browser without a session (401), with a wrong CSRF token (403) or with a sign-in too old to
 * change anything (403, and the page offers to sign in again instead of "Add a passkey"); an
 * answer without a waiting challenge refused on the page; renaming to an empty name (400),
 * renaming or removing an unknown passkey (404).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { createUser, csrfOf, HttpBrowser, movableClock } from '../../helpers/people.js';
import { REAUTHENTICATE_AFTER_SECONDS } from '../../../src/login/account.js';
import { SoftAuthenticator } from '../../passkeys/soft-authenticator.js';
import { alertOf, openAccount } from '../second-factors/support.js';

describe('passkeys on the account page over HTTP', () => {
  const clock = movableClock();
  let server: TestServer;

  beforeAll(async () => {
    server = await startInkan({ issuerHost: 'localhost', core: { clock } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function signedIn(email: string) {
    await createUser(server, email, 'correct horse battery staple');
    const browser = new HttpBrowser(server.issuer);
    const page = await openAccount(browser, email, 'correct horse battery staple');
    expect(page.body).toContain('>Add a passkey</button>');
    return { browser, csrf: csrfOf(page.body) };
  }

  async function options(browser: HttpBrowser, csrf: string) {
    const answer = await browser.request('/account/passkeys/options', { form: { csrf } });
    return { status: answer.status, json: JSON.parse(answer.body) as Record<string, unknown> & { challenge: string; user: { id: string } } };
  }

  it('adds a passkey: options for this person, then the answer stored under its name', async () => {
    const { browser, csrf } = await signedIn('ada@example.com');
    const answer = await options(browser, csrf);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ rp: { id: 'localhost' }, user: { name: 'ada@example.com' }, authenticatorSelection: { residentKey: 'required', userVerification: 'required' } });
    const authenticator = new SoftAuthenticator({ rpId: 'localhost', origin: server.issuer });
    const added = await browser.request('/account', { form: { csrf, action: 'passkey-add', name: '  Desk\u0007 key ', credential: JSON.stringify(authenticator.register(answer.json)) } });
    expect(added.status).toBe(200);
    expect(added.body).toContain('Your passkey “Desk  key” was added.');
    expect(added.body).toMatch(/<span class="factor-name">Desk {2}key<\/span>/);

    // The same answer again: its challenge was taken.
    const again = await browser.request('/account', { form: { csrf, action: 'passkey-add', name: 'Again', credential: JSON.stringify(authenticator.register(answer.json)) } });
    expect(again.status).toBe(400);
    expect(alertOf(again.body)).toBe('This passkey request was already used or replaced. Try again.');
  });

  it('refuses the options without a session, with a wrong CSRF token, or after a sign-in too old', async () => {
    const { browser, csrf } = await signedIn('bob@example.com');
    const stranger = await new HttpBrowser(server.issuer).request('/account/passkeys/options', { form: { csrf } });
    expect(stranger.status).toBe(401);
    expect(JSON.parse(stranger.body)).toEqual({ error: 'invalid_request', error_description: 'You are signed out. Reload the page and sign in again.' });
    expect(await options(browser, 'wrong')).toEqual({ status: 403, json: { error: 'invalid_request', error_description: 'The page has expired. Reload it and try again.' } });

    clock.advance(REAUTHENTICATE_AFTER_SECONDS + 1);
    expect(await options(browser, csrf)).toEqual({ status: 403, json: { error: 'invalid_request', error_description: 'Sign in again to add a passkey: reload the page.' } });
    const page = await browser.request('/account');
    expect(page.body).not.toContain('>Add a passkey</button>');
    expect(page.body).toContain('>Sign in again to add a passkey</button>');
    // That button's action goes through the sign-in page and back.
    const reauthenticate = await browser.request('/account', { form: { csrf, action: 'passkey-reauthenticate' } });
    expect(reauthenticate.status).toBe(303);
    expect(reauthenticate.location).toMatch(/^\/login\?ix=/);
  });

  it('refuses an empty name, and an unknown passkey to rename or remove', async () => {
    const { browser, csrf } = await signedIn('carol@example.com');
    const empty = await browser.request('/account', { form: { csrf, action: 'passkey-rename', id: 'nope', name: ' ' } });
    expect(empty.status).toBe(400);
    expect(alertOf(empty.body)).toBe('Give the passkey a name.');
    const rename = await browser.request('/account', { form: { csrf, action: 'passkey-rename', id: 'nope', name: 'x' } });
    expect(rename.status).toBe(404);
    expect(alertOf(rename.body)).toBe('That passkey was not found.');
    const remove = await browser.request('/account', { form: { csrf, action: 'passkey-remove', id: 'nope' } });
    expect(remove.status).toBe(404);
    expect(alertOf(remove.body)).toBe('That passkey was not found.');
  });
});
