/**
 * Helpers of the operations tests (test/flows/operations/), used by other flows too: reading
 * Prometheus text, getting client-credentials tokens, one sign-in attempt through the real pages,
 * and collecting audit lines from a server's log.
 */
import { expect } from 'vitest';
import { basicAuth, type RegisteredClient } from './clients.js';
import type { TestServer } from './inkan.js';
import { recordTokenResponse } from './secrets.js';
import { authorizeUrl, csrfOf, HttpBrowser, PKCE_CHALLENGE, type Hop } from './people.js';

/** The value of one sample (`name{labels}`), or undefined when it is not exposed. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

export async function scrape(server: Pick<TestServer, 'issuer'>, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${server.issuer}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

export async function clientToken(server: Pick<TestServer, 'issuer'>, client: RegisteredClient, scope?: string): Promise<{ access_token: string }> {
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) }),
  });
  const body = (await response.json()) as { access_token: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  recordTokenResponse(body);
  return body;
}

/** One sign-in attempt at the login page of a fresh authorization request. */
export async function signInAttempt(server: Pick<TestServer, 'issuer'>, clientId: string, redirectUri: string, email: string, password: string): Promise<Hop> {
  const browser = new HttpBrowser(server.issuer);
  const start = await browser.request(authorizeUrl(server.issuer, { client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's', ...PKCE_CHALLENGE }));
  const page = await browser.request(start.location!);
  return browser.request(start.location!, { form: { csrf: csrfOf(page.body), email, password } });
}

/** Log lines as objects, kept as a server writes them (pass `collect` to startInkan's onLog). */
export class LogLines {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  readonly collect = (line: string): void => {
    this.raw.push(line);
    this.lines.push(JSON.parse(line) as Record<string, unknown>);
  };

  audit(event: string): Record<string, unknown>[] {
    return this.lines.filter((line) => line.audit === true && line.event === event);
  }
}
