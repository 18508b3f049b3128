/**
 * A resource server that demands a second factor, with the SDK's Koa middleware and a real Inkan
 * (RFC 9470): an access token from a password sign-in is answered 401 with
 * `error="insufficient_user_authentication"` and `acr_values`; the client then asks Inkan with
 * those acr_values, the person presents their code (step-up of the same session), and the new
 * access token (acr urn:inkan:acr:mfa) is let through.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createVerifier, type Verifier } from '@inkan/verifier';
import { verifierMiddleware } from '@inkan/verifier/koa';
import { registerClient } from '../../helpers/clients.js';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { createUser, HttpBrowser, movableClock } from '../../helpers/people.js';
import { recordTokenResponse } from '../../helpers/secrets.js';
import { codeStep, enrolTotp, openAccount, throughConsent, totpCode } from './support.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const clock = movableClock();
let server: TestServer;
let config: oidc.Configuration;
let verifier: Verifier;
let api: http.Server;
let apiUrl: string;

beforeAll(async () => {
  server = await startInkan({ core: { clock } });
  const client = await registerClient(server, ['--name', 'Treasury', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid']);
  config = await oidc.discovery(new URL(server.issuer), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret!), { execute: [oidc.allowInsecureRequests] });
  verifier = createVerifier({ issuer: server.issuer, audience: server.issuer, now: () => clock.nowSeconds() * 1000 });
  const app = new Koa();
  app.use(verifierMiddleware(verifier, { realm: 'treasury', acrValues: ['urn:inkan:acr:mfa', 'phr'] }));
  app.use((ctx) => {
    ctx.body = { acr: ctx.state.accessToken.acr };
  });
  api = http.createServer(app.callback());
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await verifier?.close();
  await new Promise((resolve) => api?.close(resolve));
  await server?.stop();
});

async function authorize(browser: HttpBrowser, extra: Record<string, string>, signIn: (location: string) => Promise<URL>): Promise<string> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  const start = await browser.request(url.href);
  const callback = start.location!.startsWith('/login') ? await signIn(start.location!) : await throughConsent(browser, start);
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state });
  recordTokenResponse(tokens);
  return tokens.access_token;
}

it('answers a password-only token with the RFC 9470 challenge, and lets the stepped-up token through', async () => {
  await createUser(server, 'treasurer@example.com', 'treasurer-password');
  const browser = new HttpBrowser(server.issuer);
  const { secret } = await enrolTotp(browser, await openAccount(browser, 'treasurer@example.com', 'treasurer-password'), clock.nowSeconds());
  clock.advance(30);

  // The session is a password sign-in: its token has acr urn:inkan:acr:pwd.
  const weak = await authorize(browser, {}, () => Promise.reject(new Error('the session should have been enough')));
  const refused = await fetch(apiUrl, { headers: { authorization: `Bearer ${weak}` } });
  expect(refused.status).toBe(401);
  const challenge = refused.headers.get('www-authenticate')!;
  expect(challenge).toMatch(/^Bearer realm="treasury", error="insufficient_user_authentication", /);
  const acrValues = /acr_values="([^"]+)"/.exec(challenge)![1]!;
  expect(acrValues).toBe('urn:inkan:acr:mfa phr');
  expect(await refused.json()).toMatchObject({ error: 'insufficient_user_authentication' });

  // The client asks again with the challenge's acr_values: the Code page, then a token that passes.
  const strong = await authorize(browser, { acr_values: acrValues }, async (location) => {
    const page = await browser.request(location);
    expect(page.body).toContain('<label for="code">Code</label>');
    return throughConsent(browser, await codeStep(browser, location, page, totpCode(secret, clock.nowSeconds())));
  });
  const allowed = await fetch(apiUrl, { headers: { authorization: `Bearer ${strong}` } });
  expect(allowed.status).toBe(200);
  expect(await allowed.json()).toEqual({ acr: 'urn:inkan:acr:mfa' });
});
