/**
 * What the device-flow tests share: a device client's requests (the device endpoint found through
 * discovery, the token endpoint's device_code grant) and a person approving or denying through
 * Inkan's pages with the cookie-keeping HTTP browser.
 */
import { basicAuth, type RegisteredClient } from '../../helpers/clients.js';
import type { TestServer } from '../../helpers/inkan.js';
import { csrfOf, HttpBrowser } from '../../helpers/people.js';
import { recordSecrets, recordTokenResponse } from '../../helpers/secrets.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

export async function discovery(server: TestServer): Promise<Record<string, any>> {
  return (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, any>;
}

async function post(url: string, client: RegisteredClient, params: Record<string, string>): Promise<JsonAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.client_secret !== undefined) headers.authorization = basicAuth(client);
  const form = client.client_secret === undefined ? { ...params, client_id: client.client_id } : params;
  const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  const body = await response.json();
  recordTokenResponse(body);
  return { status: response.status, headers: response.headers, body };
}

/** POST device_authorization_endpoint (RFC 8628 §3.1). */
export async function deviceAuthorization(server: TestServer, client: RegisteredClient, params: Record<string, string> = {}): Promise<JsonAnswer> {
  const answer = await post((await discovery(server)).device_authorization_endpoint, client, params);
  recordSecrets(answer.body?.device_code, answer.body?.user_code);
  return answer;
}

/** The device's token request (RFC 8628 §3.4). */
export async function poll(server: TestServer, client: RegisteredClient, deviceCode: string, extra: Record<string, string> = {}): Promise<JsonAnswer> {
  return post((await discovery(server)).token_endpoint, client, { grant_type: DEVICE_GRANT, device_code: deviceCode, ...extra });
}

/** A refresh-token grant by the device (RFC 6749 §6). */
export async function refreshOnDevice(server: TestServer, client: RegisteredClient, refreshToken: string): Promise<JsonAnswer> {
  return post((await discovery(server)).token_endpoint, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/** RFC 7662 introspection by the device's own client. */
export async function introspectOnDevice(server: TestServer, client: RegisteredClient, token: string): Promise<JsonAnswer> {
  return post((await discovery(server)).introspection_endpoint, client, { token });
}

/** Types `userCode` on the verification page; returns the answer to the form's POST. */
export async function typeCode(browser: HttpBrowser, verificationUri: string, userCode: string) {
  const page = await browser.request(verificationUri);
  return browser.request(verificationUri, { form: { csrf: csrfOf(page.body), user_code: userCode } });
}

/**
 * The person types the code, signs in (when the browser has no session) and presses Allow or
 * Deny; returns the done page's path.
 */
export async function decide(
  browser: HttpBrowser,
  verificationUri: string,
  userCode: string,
  person: { email: string; password: string },
  decision: 'allow' | 'deny',
): Promise<string> {
  const typed = await typeCode(browser, verificationUri, userCode);
  if (typed.status !== 303 || typed.location === null) throw new Error(`the code was refused: ${typed.status}`);
  let location = typed.location;
  if (location.includes('/login')) {
    const page = await browser.request(location);
    const posted = await browser.request(location, { form: { csrf: csrfOf(page.body), email: person.email, password: person.password } });
    if (posted.status !== 303 || posted.location === null) throw new Error(`login answered ${posted.status}`);
    location = posted.location;
  }
  if (!location.includes('/consent')) throw new Error(`expected the consent page, got ${location}`);
  const page = await browser.request(location);
  const posted = await browser.request(location, { form: { csrf: csrfOf(page.body), decision } });
  if (posted.status !== 303 || posted.location === null) throw new Error(`consent answered ${posted.status}`);
  return posted.location;
}
