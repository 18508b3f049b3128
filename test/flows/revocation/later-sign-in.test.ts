/**
 * Ending a grant ends that grant only. Revoking a refresh token (RFC 7009) or replaying a used one
 * (reuse detection) revokes the family and the access tokens it issued — and a later sign-in of
 * the same person, in the same browser (the same `sid`), for the same client, gets tokens that
 * userinfo, introspection and the SDK accept. Driven by openid-client through Inkan's pages.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { createVerifier, VerifierError } from '@inkan/verifier';
import { createUser, HttpBrowser, openidCodeFlow } from '../../helpers/people.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const EMAIL = 'grace@example.com';
const PASSWORD = 'cobol-compiler-1959';
let server: TestServer;
let web: RegisteredClient;
let config: oidc.Configuration;

beforeAll(async () => {
  server = await startInkan();
  web = await registerClient(server, [
    '--name', 'Web', '--grant-types', 'authorization_code,refresh_token', '--redirect-uris', REDIRECT,
    '--scope', 'openid offline_access', '--skip-consent',
  ]);
  await createUser(server, EMAIL, PASSWORD);
  config = await oidc.discovery(new URL(server.issuer), web.client_id, undefined, oidc.ClientSecretBasic(web.client_secret!), {
    execute: [oidc.allowInsecureRequests],
  });
});
afterAll(async () => {
  await server.stop();
});

const signIn = (browser: HttpBrowser) => openidCodeFlow(config, browser, { redirectUri: REDIRECT, scope: 'openid offline_access', email: EMAIL, password: PASSWORD });
const sidOf = (accessToken: string) => (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;

/** userinfo's status, introspection's `active` (asked by the token's own client), and the SDK's verdict. */
async function verdicts(accessToken: string): Promise<{ userinfo: number; active: unknown; sdk: string }> {
  const userinfo = (await fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  const { active } = await oidc.tokenIntrospection(config, accessToken);
  const verifier = createVerifier({ issuer: server.issuer, audience: server.issuer, logger: { warn: () => {} } });
  let sdk = 'valid';
  try {
    await verifier.verify(accessToken);
  } catch (error) {
    sdk = error instanceof VerifierError ? error.code : String(error);
  } finally {
    await verifier.close();
  }
  return { userinfo, active, sdk };
}

const LIVE = { userinfo: 200, active: true, sdk: 'valid' };
const REVOKED = { userinfo: 401, active: false, sdk: 'ERR_TOKEN_REVOKED' };

describe('a later sign-in in the same browser, for the same client', () => {
  it('works after a refresh token of an earlier sign-in was revoked (RFC 7009)', async () => {
    const browser = new HttpBrowser(server.issuer);
    const first = await signIn(browser);
    await oidc.tokenRevocation(config, first.refresh_token!);
    expect(await verdicts(first.access_token)).toEqual(REVOKED);

    const again = await signIn(browser);
    expect(sidOf(again.access_token)).toBe(sidOf(first.access_token));
    expect(await verdicts(again.access_token)).toEqual(LIVE);
    const refreshed = await oidc.refreshTokenGrant(config, again.refresh_token!);
    expect(await verdicts(refreshed.access_token)).toEqual(LIVE);
  });

  it('works after reuse detection revoked an earlier sign-in\'s family', async () => {
    const browser = new HttpBrowser(server.issuer);
    const first = await signIn(browser);
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    const third = await oidc.refreshTokenGrant(config, second.refresh_token!);
    // The first refresh token again, after its successor was used: theft.
    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    for (const tokens of [first, second, third]) expect(await verdicts(tokens.access_token)).toEqual(REVOKED);

    const again = await signIn(browser);
    expect(sidOf(again.access_token)).toBe(sidOf(first.access_token));
    expect(await verdicts(again.access_token)).toEqual(LIVE);
  });
});
