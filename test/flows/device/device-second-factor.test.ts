/**
 * The device verification page signs people in through the login page's own steps: a person with
 * an authenticator app presents the password and then a code, and the device's tokens say so
 * (`amr` with `otp` and `mfa`, `acr` urn:inkan:acr:mfa); a browser that already has a session
 * goes straight from the code to the consent page, which is still shown for every device.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { createUser, csrfOf, HttpBrowser, movableClock } from '../../helpers/people.js';
import { codeStep, enrolTotp, openAccount, totpCode } from '../second-factors/support.js';
import { DEVICE_GRANT, deviceAuthorization, poll, typeCode } from './support.js';

const clock = movableClock();
const person = { email: 'dorothy@example.com', password: 'a passphrase for the tests only' };
let server: TestServer;
let device: RegisteredClient;
let secret: string;

beforeAll(async () => {
  server = await startInkan({ core: { clock } });
  await createUser(server, person.email, person.password);
  device = await registerClient(server, ['--name', 'Set-top box', '--grant-types', DEVICE_GRANT, '--scope', 'openid tv']);
  const account = new HttpBrowser(server.issuer);
  secret = (await enrolTotp(account, await openAccount(account, person.email, person.password), clock.nowSeconds())).secret;
});
afterAll(async () => {
  await server?.stop();
});

async function allow(browser: HttpBrowser, consentLocation: string): Promise<void> {
  expect(consentLocation).toMatch(/^\/consent\?ix=/);
  const page = await browser.request(consentLocation);
  const allowed = await browser.request(consentLocation, { form: { csrf: csrfOf(page.body), decision: 'allow' } });
  expect(allowed.location).toBe('/device/done?result=approved');
}

it('asks a person with an authenticator app for the code after the password; the tokens carry otp and mfa', async () => {
  const { body: started } = await deviceAuthorization(server, device, { scope: 'openid tv' });
  const browser = new HttpBrowser(server.issuer);
  const typed = await typeCode(browser, started.verification_uri, started.user_code);
  const login = typed.location!;
  const page = await browser.request(login);
  const codePage = await browser.request(login, { form: { csrf: csrfOf(page.body), email: person.email, password: person.password } });
  expect(codePage.status).toBe(200);
  expect(codePage.body).toContain('<label for="code">Code</label>');
  clock.advance(30); // a fresh time step: the enrolment's code is used
  const coded = await codeStep(browser, login, codePage, totpCode(secret, clock.nowSeconds()));
  expect(coded.status).toBe(303);
  await allow(browser, coded.location!);

  const tokens = await poll(server, device, started.device_code);
  expect(tokens.status).toBe(200);
  const claims = decodeJwt(tokens.body.access_token);
  expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  expect(claims.acr).toBe('urn:inkan:acr:mfa');
  expect(decodeJwt(tokens.body.id_token)).toMatchObject({ acr: 'urn:inkan:acr:mfa' });

  // Signed in already: the next device's code goes straight to the consent page.
  const { body: next } = await deviceAuthorization(server, device, { scope: 'tv' });
  const again = await typeCode(browser, next.verification_uri, next.user_code);
  await allow(browser, again.location!);
  const more = await poll(server, device, next.device_code);
  expect(more.status).toBe(200);
  expect(decodeJwt(more.body.access_token).sid).toBe(claims.sid);
});
