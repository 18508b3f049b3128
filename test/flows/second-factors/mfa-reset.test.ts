/**
 * An operator's reset of a person's second factors: `users mfa reset --email E` as a real CLI
 * process prints {"reset": E}, removes the authenticator app and the recovery codes, and ends the
 * person's sessions (the account page asks for a sign-in again, which a password alone now
 * completes); an unknown email is a one-line error and a non-zero exit. The admin API's
 * POST /admin/v1/users/mfa/reset does the same, with its audit line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken, LogLines } from '../../helpers/operations.js';
import { registerClient } from '../../helpers/clients.js';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { createUser, HttpBrowser, movableClock } from '../../helpers/people.js';
import { enrolTotp, openAccount } from './support.js';

const clock = movableClock();
const logs = new LogLines();
let server: TestServer;

beforeAll(async () => {
  server = await startInkan({ core: { clock }, env: { ADMIN_API: 'on' }, onLog: logs.collect });
});
afterAll(async () => {
  await server.stop();
});

/** A person with an app and recovery codes, and the browser of their session. */
async function enrolled(email: string, password: string) {
  const user = await createUser(server, email, password);
  const browser = new HttpBrowser(server.issuer);
  await enrolTotp(browser, await openAccount(browser, email, password), clock.nowSeconds());
  expect(await server.deps.stores.recoveryCodes.countUnused(user.id)).toBe(10);
  return { user, browser };
}

async function expectReset(user: { id: string; email: string }, browser: HttpBrowser, password: string) {
  expect(await server.deps.stores.totpFactors.listForUser(user.id)).toEqual([]);
  expect(await server.deps.stores.recoveryCodes.countUnused(user.id)).toBe(0);
  // The session ended: the account page sends the browser to sign in again.
  const account = await browser.request('/account');
  expect(account.status).toBe(302);
  expect(account.location).toMatch(/^\/login\?ix=/);
  // A password alone completes it now.
  const page = await openAccount(new HttpBrowser(server.issuer), user.email, password);
  expect(page.body).toContain('>Set up an authenticator app</button>');
}

describe('users mfa reset', () => {
  it('removes every factor and ends the sessions, printing {"reset": email}', async () => {
    const { user, browser } = await enrolled('lost-phone@example.com', 'lost-phone-password');
    const result = await server.cli(['users', 'mfa', 'reset', '--email', 'lost-phone@example.com']);
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({ reset: 'lost-phone@example.com' });
    await expectReset(user, browser, 'lost-phone-password');
  });

  it('refuses an unknown email with a one-line error and a non-zero exit', async () => {
    const result = await server.cli(['users', 'mfa', 'reset', '--email', 'nobody@example.com']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('no user with the email nobody@example.com');
    const missing = await server.cli(['users', 'mfa', 'reset']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--email is required');
  });
});

describe('POST /admin/v1/users/mfa/reset', () => {
  it('does the same for an admin client, audited, and answers 404 for an unknown email', async () => {
    const admin = await registerClient(server, ['--name', 'helpdesk', '--scope', 'admin']);
    const token = (await clientToken(server, admin, 'admin')).access_token;
    const post = (body: unknown) =>
      fetch(`${server.issuer}/admin/v1/users/mfa/reset`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const call = (email: string) => post({ email });
    const { user, browser } = await enrolled('helpdesk-case@example.com', 'helpdesk-case-password');
    const answer = await call('helpdesk-case@example.com');
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ reset: 'helpdesk-case@example.com' });
    await expectReset(user, browser, 'helpdesk-case-password');
    expect(logs.audit('mfa.reset').find((line) => line.sub === user.id)).toMatchObject({ actor: 'admin-api', actor_id: admin.client_id, factors_removed: 11 });
    const unknown = await call('nobody@example.com');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not_found' });
    const bad = await post({ email: 'helpdesk-case@example.com', also: 'passkeys' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_request', error_description: 'unknown field "also"; allowed: email' });
  });
});
