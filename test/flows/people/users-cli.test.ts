/**
 * `users enable` and `users set-password` as an operator runs them (the CLI as a process): a
 * re-enabled person signs in again; a new password replaces the old one at the sign-in page and
 * ends the person's sessions (a browser signed in before must sign in again); the refusals are one
 * line on stderr and a non-zero exit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { authorizeUrl, createUser, HttpBrowser, PKCE_CHALLENGE, signIn } from '../../helpers/people.js';
import { signInAttempt } from '../../helpers/operations.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
let server: TestServer;
let web: RegisteredClient;

beforeAll(async () => {
  server = await startInkan();
  web = await registerClient(server, ['--name', 'web', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid']);
});

afterAll(async () => {
  await server?.stop();
});

const authorize = () => authorizeUrl(server.issuer, { client_id: web.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's', ...PKCE_CHALLENGE });

describe('users enable', () => {
  it('lets a disabled person sign in again', async () => {
    const person = await createUser(server, 'enable.me@example.com', 'enable-password-1');
    expect((await server.cli(['users', 'disable', '--email', person.email])).code).toBe(0);
    expect((await signInAttempt(server, web.client_id, REDIRECT, person.email, 'enable-password-1')).status).toBe(401);
    const enabled = await server.cli(['users', 'enable', '--email', person.email]);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.json()).toEqual({ enabled: person.email });
    expect((await signInAttempt(server, web.client_id, REDIRECT, person.email, 'enable-password-1')).status).toBe(303);
  });

  it('refuses an unknown email', async () => {
    const result = await server.cli(['users', 'enable', '--email', 'nobody@example.com']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe('inkan: no user with the email nobody@example.com\n');
  });
});

describe('users set-password', () => {
  it('replaces the password and ends the sessions opened with the old one', async () => {
    const person = await createUser(server, 'new.password@example.com', 'old-password-1');
    const browser = new HttpBrowser(server.issuer);
    await signIn(browser, authorize(), person.email, 'old-password-1', { consent: 'allow' });
    // Signed in: the browser's session answers the next request without a sign-in page.
    expect((await browser.request(authorize())).location).toMatch(/^http:\/\/127\.0\.0\.1:9\/cb\?/);

    const result = await server.cli(['users', 'set-password', '--email', person.email, '--password-stdin'], 'new-password-2\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toEqual({ password_set: person.email });

    expect((await browser.request(authorize())).location).not.toMatch(/^http:\/\/127\.0\.0\.1:9\/cb/);
    expect((await signInAttempt(server, web.client_id, REDIRECT, person.email, 'old-password-1')).status).toBe(401);
    expect((await signInAttempt(server, web.client_id, REDIRECT, person.email, 'new-password-2')).status).toBe(303);
  });

  it.each([
    [['--email', 'new.password@example.com'], 'x\n', 'inkan: --password-stdin is required: the password is read from standard input\n'],
    [['--email', 'new.password@example.com', '--password-stdin'], 'short\n', 'inkan: the password must have at least 8 characters\n'],
    [['--email', 'nobody@example.com', '--password-stdin'], 'a-long-password\n', 'inkan: no user with the email nobody@example.com\n'],
    [['--password-stdin'], 'a-long-password\n', 'inkan: --email is required\n'],
  ])('refuses %j', async (args, stdin, stderr) => {
    const result = await server.cli(['users', 'set-password', ...args], stdin);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe(stderr);
    expect(result.stdout).toBe('');
  });
});
