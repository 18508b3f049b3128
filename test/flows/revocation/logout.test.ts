/**
 * Logout that really ends sessions. A person signs in on two devices (two login sessions, two
 * refresh families) through the real authorization-code flow driven by openid-client:
 * - logging out of one device (RP-initiated logout) ends that device's family and access tokens
 *   and leaves the other device working;
 * - `tokens revoke --email` ends both, and `users disable` does the same for another person;
 * - `clients delete` ends that client's families and access tokens only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { createUser, HttpBrowser, openidCodeFlow } from '../../helpers/people.js';
import { type AppClient, createPerson, createSession, introspect, refresh, registerApp, startFamily } from '../../helpers/refresh.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
let server: TestServer;
let web: RegisteredClient;
let resourceServer: RegisteredClient;

beforeAll(async () => {
  server = await startInkan();
  [web, resourceServer] = await Promise.all([
    registerClient(server, [
      '--name', 'Web', '--grant-types', 'authorization_code,refresh_token', '--redirect-uris', REDIRECT,
      '--post-logout-redirect-uris', 'http://127.0.0.1:9/bye', '--scope', 'openid email offline_access', '--skip-consent',
    ]),
    // A resource server for the issuer's audience (tokens issued without a resource): entitled to introspect them.
    registerClient(server, ['--name', 'rs', '--scope', 'read', '--resources', server.issuer]),
  ]);
});
afterAll(async () => {
  await server.stop();
});

interface Device {
  readonly browser: HttpBrowser;
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
}

/** Signs the person in on a new device (browser) and exchanges the code with openid-client. */
async function signInOnDevice(config: oidc.Configuration, email: string, password: string): Promise<Device> {
  const browser = new HttpBrowser(server.issuer);
  const tokens = await openidCodeFlow(config, browser, { redirectUri: REDIRECT, scope: 'openid email offline_access', email, password });
  return { browser, tokens };
}

async function userinfoStatus(config: oidc.Configuration, accessToken: string): Promise<number> {
  const response = await fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${accessToken}` } });
  return response.status;
}

const active = async (token: string) => (await introspect(server, resourceServer, token)).body.active as boolean;

describe('through the authorization-code flow', () => {
  let config: oidc.Configuration;
  let laptop: Device;
  let phone: Device;
  let person: { id: string; email: string };

  beforeAll(async () => {
    config = await oidc.discovery(new URL(server.issuer), web.client_id, undefined, oidc.ClientSecretBasic(web.client_secret!), {
      execute: [oidc.allowInsecureRequests],
    });
    person = await createUser(server, 'ada@example.com', 'analytical-engine-1843');
    laptop = await signInOnDevice(config, person.email, 'analytical-engine-1843');
    phone = await signInOnDevice(config, person.email, 'analytical-engine-1843');
  });

  it('issues a refresh token at login and rotates it through many refreshes', async () => {
    expect(laptop.tokens.refresh_token).toEqual(expect.any(String));
    expect(phone.tokens.refresh_token).toEqual(expect.any(String));
    expect(laptop.tokens.claims()!.sid).not.toBe(phone.tokens.claims()!.sid);
    for (const device of [laptop, phone]) {
      for (let round = 0; round < 3; round += 1) {
        const next = await oidc.refreshTokenGrant(config, device.tokens.refresh_token!);
        expect(next.refresh_token).not.toBe(device.tokens.refresh_token);
        expect(next.claims()!.sub).toBe(person.id);
        device.tokens = next;
      }
    }
  });

  it('logging out of one device ends its family and access tokens; the other device keeps working', async () => {
    const idToken = laptop.tokens.id_token!;
    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:9/bye', state: 'bye-1' });
    const hop = await laptop.browser.request(logout.href);
    expect([302, 303]).toContain(hop.status);
    expect(hop.location).toContain('http://127.0.0.1:9/bye');

    await expect(oidc.refreshTokenGrant(config, laptop.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await active(laptop.tokens.access_token)).toBe(false);
    expect(await userinfoStatus(config, laptop.tokens.access_token)).toBe(401);
    expect(await userinfoStatus(config, phone.tokens.access_token)).toBe(200);

    expect(await active(phone.tokens.access_token)).toBe(true);
    phone.tokens = await oidc.refreshTokenGrant(config, phone.tokens.refresh_token!);
    expect(await active(phone.tokens.access_token)).toBe(true);
  });

  it('tokens revoke --email logs the person out everywhere', async () => {
    const tablet = await signInOnDevice(config, person.email, 'analytical-engine-1843');
    const result = await server.cli(['tokens', 'revoke', '--email', person.email]);
    expect(result.code).toBe(0);
    // The phone's and the tablet's sessions and families (the laptop's ended before).
    expect(result.json()).toEqual({ revoked: 4 });
    for (const device of [phone, tablet]) {
      expect(await active(device.tokens.access_token)).toBe(false);
      expect(await userinfoStatus(config, device.tokens.access_token)).toBe(401);
      await expect(oidc.refreshTokenGrant(config, device.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    }
    // A new login afterwards is not affected by the revocation.
    const fresh = await signInOnDevice(config, person.email, 'analytical-engine-1843');
    // Its tokens may share the revocation's second; the record covers iat < now + 1, so wait it out.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const next = await oidc.refreshTokenGrant(config, fresh.tokens.refresh_token!);
    expect(await active(next.access_token)).toBe(true);
  });
});

describe('in-process logout functions', () => {
  let app: AppClient;
  beforeAll(async () => {
    app = await registerApp(server);
  });

  it('endSession ends one session\'s families and leaves another session\'s alive', async () => {
    const person = await createPerson(server);
    const one = await startFamily(server, app, { person, sid: await createSession(server, person) });
    const two = await startFamily(server, app, { person, sid: await createSession(server, person) });
    const oneTokens = (await refresh(server, app, one.refreshToken)).body;
    const twoTokens = (await refresh(server, app, two.refreshToken)).body;

    expect(await server.deps.revoker.endSession(one.sid)).toEqual({ sessionEnded: true, familiesEnded: 1 });
    expect((await server.deps.stores.sessions.find(one.sid))?.endedAt).toEqual(expect.any(Number));
    expect((await refresh(server, app, oneTokens.refresh_token)).body.error).toBe('invalid_grant');
    expect(await active(oneTokens.access_token)).toBe(false);
    expect((await refresh(server, app, twoTokens.refresh_token)).status).toBe(200);
    expect(await active(twoTokens.access_token)).toBe(true);
  });

  it('users disable ends every session and family of the person', async () => {
    const person = await createPerson(server);
    const one = await startFamily(server, app, { person });
    const two = await startFamily(server, app, { person });
    const oneTokens = (await refresh(server, app, one.refreshToken)).body;
    const disabled = await server.cli(['users', 'disable', '--email', person.email]);
    expect(disabled.code).toBe(0);
    expect(await active(oneTokens.access_token)).toBe(false);
    expect((await refresh(server, app, oneTokens.refresh_token)).body.error).toBe('invalid_grant');
    expect((await refresh(server, app, two.refreshToken)).body.error).toBe('invalid_grant');
    for (const sid of [one.sid, two.sid]) expect((await server.deps.stores.sessions.find(sid))?.endedAt).toEqual(expect.any(Number));
  });

  it('tokens revoke --email answers an unknown email with an error', async () => {
    const result = await server.cli(['tokens', 'revoke', '--email', 'nobody@example.com']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('no user with the email nobody@example.com');
    expect(result.stdout).toBe('');
  });

  it('clients delete ends that client\'s families and access tokens, and no other client\'s', async () => {
    const doomed = await registerApp(server);
    const person = await createPerson(server);
    const sid = await createSession(server, person);
    const gone = (await refresh(server, doomed, (await startFamily(server, doomed, { person, sid })).refreshToken)).body;
    const kept = (await refresh(server, app, (await startFamily(server, app, { person, sid })).refreshToken)).body;
    const result = await server.cli(['clients', 'delete', doomed.client_id]);
    expect(result.code).toBe(0);
    expect(await active(gone.access_token)).toBe(false);
    expect(await active(kept.access_token)).toBe(true);
    expect((await refresh(server, app, kept.refresh_token)).status).toBe(200);
  });
});
