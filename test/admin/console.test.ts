/**
 * The operator console's rules without HTTP (src/admin/console.ts) on a real core: its own client
 * registered once, re-registered for a changed issuer, never for an issuer whose redirect URI
 * cannot be registered (plain http off loopback); the authorization request it starts (PKCE S256
 * and state, the exact redirect URI); its CSRF token, bound to the session token.
 */
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleCsrfMatches, consoleCsrfToken, CONSOLE_CLIENT_ID, ensureConsoleClient, startConsoleSignIn } from '../../src/admin/console.js';
import type { Core } from '../../src/deps.js';
import { openTestCore, type Closable } from '../helpers/deps.js';
import { movableClock } from '../helpers/people.js';

const clock = movableClock();
let core: Closable<Core>;

beforeEach(async () => {
  core = await openTestCore({ clock });
});
afterEach(async () => {
  await core.close();
});

describe('the console client', () => {
  it('is registered once as a public, PKCE-only, first-party client with the one redirect URI', async () => {
    expect(await ensureConsoleClient(core, 'https://idp.example.com')).toBe(true);
    const client = await core.stores.clients.find(CONSOLE_CLIENT_ID);
    expect(client).toMatchObject({
      authMethod: 'none',
      secretHash: null,
      grantTypes: ['authorization_code'],
      redirectUris: ['https://idp.example.com/admin/callback'],
      scopes: ['openid', 'admin'],
      skipConsent: true,
      allowNoPkce: false,
    });
    clock.advance(60);
    expect(await ensureConsoleClient(core, 'https://idp.example.com')).toBe(true);
    expect((await core.stores.clients.find(CONSOLE_CLIENT_ID))?.createdAt).toBe(client!.createdAt);
    expect((await core.stores.clients.list()).filter((each) => each.clientId === CONSOLE_CLIENT_ID)).toHaveLength(1);
  });

  it('is registered again for a changed issuer, and not at all for plain http off loopback', async () => {
    await ensureConsoleClient(core, 'https://old.example.com');
    await ensureConsoleClient(core, 'https://idp.example.com/tenant');
    expect((await core.stores.clients.find(CONSOLE_CLIENT_ID))?.redirectUris).toEqual(['https://idp.example.com/tenant/admin/callback']);

    const other = await openTestCore({ clock });
    try {
      expect(await ensureConsoleClient(other, 'http://idp.internal:3000')).toBe(false);
      expect(await other.stores.clients.find(CONSOLE_CLIENT_ID)).toBeUndefined();
      expect(await ensureConsoleClient(other, 'http://localhost:3000')).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe('the sign-in it starts', () => {
  it('asks for code with PKCE S256, a fresh state and the exact redirect URI', () => {
    const { signIn, location } = startConsoleSignIn('https://idp.example.com', 'https://idp.example.com/authorize');
    const url = new URL(location);
    expect(url.origin + url.pathname).toBe('https://idp.example.com/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: CONSOLE_CLIENT_ID,
      redirect_uri: 'https://idp.example.com/admin/callback',
      scope: 'openid admin',
      state: signIn.state,
      code_challenge: crypto.createHash('sha256').update(signIn.codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    expect(signIn.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(startConsoleSignIn('https://idp.example.com', 'https://idp.example.com/authorize').signIn.state).not.toBe(signIn.state);
  });
});

describe('the CSRF token', () => {
  it('matches only the session token it was made for', () => {
    const token = 'header.payload.signature';
    const csrf = consoleCsrfToken(token);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(consoleCsrfMatches(token, csrf)).toBe(true);
    expect(consoleCsrfMatches('header.payload.other', csrf)).toBe(false);
    expect(consoleCsrfMatches(token, undefined)).toBe(false);
    expect(consoleCsrfMatches(token, '')).toBe(false);
    expect(consoleCsrfMatches(token, `${csrf}x`)).toBe(false);
    expect(consoleCsrfMatches(token, token)).toBe(false);
  });
});
