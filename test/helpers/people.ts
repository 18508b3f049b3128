/**
 * Helpers for the people tests: users through the real CLI, a relying party's redirect target,
 * and a minimal cookie-keeping HTTP "browser" for the HTTP-level flows (no redirects followed, so
 * every hop can be checked).
 */
import http from 'node:http';
import * as oidc from 'openid-client';
import type { AddressInfo } from 'node:net';
import type { TestServer } from './inkan.js';
import { recordSecrets } from './secrets.js';

export async function createUser(server: Pick<TestServer, 'cli'>, email: string, password: string, name?: string): Promise<{ id: string; email: string }> {
  const result = await server.cli(['users', 'create', '--email', email, ...(name === undefined ? [] : ['--name', name]), '--password-stdin'], `${password}\n`);
  if (result.code !== 0) throw new Error(`users create failed: ${result.stderr}`);
  return result.json();
}

/** A tiny local HTTP server standing in for a relying party's redirect_uri. */
export interface RedirectTarget {
  readonly url: string;
  readonly hits: URL[];
  close(): Promise<void>;
}

export async function redirectTarget(path = '/callback'): Promise<RedirectTarget> {
  const hits: URL[] = [];
  const server = http.createServer((req, res) => {
    hits.push(new URL(req.url ?? '/', 'http://127.0.0.1'));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Relying party</title><p>Signed in.</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Hop {
  readonly status: number;
  readonly location: string | null;
  readonly headers: Headers;
  readonly body: string;
}

/** Cookies and manual redirects: each request is one hop. */
export class HttpBrowser {
  readonly cookies = new Map<string, string>();

  constructor(readonly origin: string) {}

  async request(url: string, init: { method?: string; form?: Record<string, string> | string; headers?: Record<string, string> } = {}): Promise<Hop> {
    const target = new URL(url, this.origin);
    const headers: Record<string, string> = { ...init.headers };
    if (target.origin === this.origin && this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    let body: string | undefined;
    if (init.form !== undefined) {
      body = typeof init.form === 'string' ? init.form : new URLSearchParams(init.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const response = await fetch(target, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(cookie)) this.cookies.delete(name);
      else {
        this.cookies.set(name, value);
        recordSecrets(value);
      }
    }
    return { status: response.status, location: response.headers.get('location'), headers: response.headers, body: await response.text() };
  }
}

/** The parameters of a redirect back to `redirectUri` (an authorization response), checked to go there. */
export function redirectParams(hop: Hop, redirectUri: string): Record<string, string> {
  if (hop.status !== 302 || hop.location === null) throw new Error(`expected a redirect, got ${hop.status}`);
  const location = new URL(hop.location);
  if (location.origin + location.pathname !== redirectUri) throw new Error(`redirected to ${hop.location}, not ${redirectUri}`);
  return Object.fromEntries(location.searchParams);
}

export function csrfOf(page: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (match === null) throw new Error('no CSRF token on the page');
  return match[1]!;
}

/** A clock that stands still until the test moves it (code expiry, throttle blocks): nothing depends on real time. */
export function movableClock(): { nowSeconds(): number; advance(seconds: number): void } {
  const startSeconds = Math.floor(Date.now() / 1000);
  let offsetSeconds = 0;
  return {
    nowSeconds: () => startSeconds + offsetSeconds,
    advance: (seconds) => {
      offsetSeconds += seconds;
    },
  };
}

/** RFC 7636 Appendix B's S256 challenge: PKCE for a flow whose code is never exchanged (PKCE is required of every client). */
export const PKCE_CHALLENGE = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSwOrEcM', code_challenge_method: 'S256' } as const;

export function authorizeUrl(issuer: string, params: Record<string, string | undefined>): string {
  const url = new URL('/authorize', issuer);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}

/**
 * Drives the pages like a browser: authorize → login page → sign in → (consent → allow) → the
 * redirect back to the client. Returns that final redirect's URL.
 */
export async function signIn(browser: HttpBrowser, url: string, email: string, password: string, options: { consent?: 'allow' | 'deny' } = {}): Promise<URL> {
  const start = await browser.request(url);
  if (start.status !== 302 || start.location === null) throw new Error(`authorize answered ${start.status}: ${start.body.slice(0, 200)}`);
  let location = start.location;
  if (location.startsWith('/login')) {
    const page = await browser.request(location);
    const posted = await browser.request(location, { form: { csrf: csrfOf(page.body), email, password } });
    if (posted.status !== 303 || posted.location === null) throw new Error(`login answered ${posted.status}`);
    location = posted.location;
  }
  if (location.startsWith('/consent')) {
    const page = await browser.request(location);
    const posted = await browser.request(location, { form: { csrf: csrfOf(page.body), decision: options.consent ?? 'allow' } });
    if (posted.status !== 303 || posted.location === null) throw new Error(`consent answered ${posted.status}`);
    location = posted.location;
  }
  const redirect = new URL(location);
  recordSecrets(redirect.searchParams.get('code'));
  return redirect;
}

/**
 * The authorization-code flow as a relying party runs it with openid-client (PKCE and state),
 * signing in through Inkan's pages in `browser`; with `dpop`, the code is exchanged for
 * DPoP-bound tokens.
 */
export async function openidCodeFlow(
  config: oidc.Configuration,
  browser: HttpBrowser,
  options: { redirectUri: string; scope: string; email: string; password: string; dpop?: oidc.DPoPHandle },
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: options.redirectUri,
    scope: options.scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
  });
  const callback = await signIn(browser, url.href, options.email, options.password);
  return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state }, undefined, options.dpop === undefined ? {} : { DPoP: options.dpop });
}
