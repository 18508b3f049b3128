/**
 * A relying party's side of back-channel logout, written from OpenID Connect Back-Channel Logout
 * 1.0 for these tests: an HTTP endpoint on 127.0.0.1 that receives `logout_token` form POSTs
 * (and answers what the test says: 200, or 500 to make Inkan retry), and the §2.6 validation of a
 * received token against Inkan's published JWKS with jose `createRemoteJWKSet`, as a relying
 * party would run it. Also the sign-in of a person to a public client through Inkan's pages.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import { authorizeUrl, HttpBrowser, signIn } from '../../helpers/people.js';
import { recordSecrets, recordTokenResponse } from '../../helpers/secrets.js';
import type { RegisteredClient } from '../../helpers/clients.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
export const REDIRECT = 'http://127.0.0.1:9/cb';

export interface ReceivedLogout {
  readonly token: string;
  /** performance.now() when the POST arrived. */
  readonly atMs: number;
  readonly contentType: string | undefined;
}

/** The relying party's back-channel logout endpoint. */
export class LogoutReceiver {
  readonly received: ReceivedLogout[] = [];
  /** What the endpoint answers next (default 200). */
  status = 200;
  /** POSTs answered with an error status. */
  refused = 0;
  /** How long the endpoint takes to answer (a slow relying party). */
  delayMs = 0;
  /** While true, answers are held until `release()`. */
  hold = false;
  private readonly held: (() => void)[] = [];
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const atMs = performance.now();
      const token = new URLSearchParams(body).get('logout_token');
      recordSecrets(token);
      const status = this.status;
      if (status >= 200 && status < 300 && token !== null && req.method === 'POST') {
        this.received.push({ token, atMs, contentType: req.headers['content-type'] });
      } else {
        this.refused += 1;
      }
      const answer = () => setTimeout(() => res.writeHead(status, { 'cache-control': 'no-store' }).end(), this.delayMs);
      if (this.hold) this.held.push(answer);
      else answer();
    });
  });

  /** POSTs received and not answered yet (`hold`). */
  get holding(): number {
    return this.held.length;
  }

  /** Answers every held POST, and holds no more. */
  release(): void {
    this.hold = false;
    for (const answer of this.held.splice(0)) answer();
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/backchannel-logout`;
  }

  static async start(): Promise<LogoutReceiver> {
    const receiver = new LogoutReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/**
 * §2.6: the signature by a key of the issuer's JWKS with the client's alg, `typ: logout+jwt`,
 * `iss`, `aud`, `iat`, `exp`; then the claims exactly: `jti`, `sub`, `sid`, the event, no `nonce`.
 */
export async function verifyLogoutToken(
  issuer: string,
  token: string,
  client: { readonly clientId: string; readonly alg: 'RS256' | 'EdDSA' | 'ES256' },
  expected: { readonly sub: string; readonly sid: string },
): Promise<JWTPayload> {
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer,
    audience: client.clientId,
    typ: 'logout+jwt',
    algorithms: [client.alg],
    requiredClaims: ['iat', 'exp', 'jti', 'sub', 'sid', 'events'],
  });
  expect(protectedHeader).toEqual({ alg: client.alg, typ: 'logout+jwt', kid: expect.any(String) });
  expect(decodeProtectedHeader(token).kid).toBe(protectedHeader.kid);
  expect(Object.keys(payload).sort()).toEqual(['aud', 'events', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
  expect(payload).toEqual({
    iss: issuer,
    aud: client.clientId,
    iat: expect.any(Number),
    exp: payload.iat! + 120,
    jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    sub: expected.sub,
    sid: expected.sid,
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  });
  expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(120);
  return payload;
}

export interface SignedIn {
  readonly browser: HttpBrowser;
  readonly idToken: string;
  readonly refreshToken: string | undefined;
  readonly sid: string;
  readonly sub: string;
}

/**
 * A person signs in to a public client (PKCE) through Inkan's pages in `browser` (a new one by
 * default); the code is exchanged and the ID token's `sid` and `sub` returned.
 */
export async function signInTo(
  issuer: string,
  client: RegisteredClient,
  person: { readonly email: string; readonly password: string },
  options: { browser?: HttpBrowser; scope?: string; prompt?: string } = {},
): Promise<SignedIn> {
  const browser = options.browser ?? new HttpBrowser(issuer);
  const verifier = crypto.randomBytes(32).toString('base64url');
  const url = authorizeUrl(issuer, {
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: options.scope ?? 'openid',
    state: 's',
    prompt: options.prompt,
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const callback = await signIn(browser, url, person.email, person.password);
  const code = callback.searchParams.get('code');
  if (code === null) throw new Error(`no code in ${callback.href}`);
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: client.client_id, code_verifier: verifier }),
  });
  const tokens = (await response.json()) as { id_token?: string; refresh_token?: string; error_description?: string };
  recordTokenResponse(tokens);
  if (tokens.id_token === undefined) throw new Error(`the code exchange failed: ${JSON.stringify(tokens)}`);
  const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1]!, 'base64url').toString()) as { sid: string; sub: string };
  return { browser, idToken: tokens.id_token, refreshToken: tokens.refresh_token, sid: claims.sid, sub: claims.sub };
}

/** A refresh at the token endpoint as a public client; returns the status and body. */
export async function refreshAs(issuer: string, client: RegisteredClient, refreshToken: string): Promise<{ status: number; body: { refresh_token?: string; error?: string } }> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client.client_id }),
  });
  const body = (await response.json()) as { refresh_token?: string; error?: string };
  recordTokenResponse(body);
  return { status: response.status, body };
}

/** The median of a few measurements. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
