/**
 * Status lists that survive a crash. A server is SIGKILLed with live tokens out — a service's
 * (client credentials), a person's (authorization code), a deleted-to-be client's — and another
 * server starts on the same database, port and issuer. Then each way of revoking them sets their
 * status bits within a second, as a relying party reading the signed list sees it: RFC 7009 on
 * a token (by jti), `tokens revoke --email` (the person, through the CLI: another process) and
 * `clients delete`; a revocation the CLI wrote while no server ran is applied once one starts;
 * every bit stays set across a second SIGKILL; tokens nobody revoked keep a clear bit. On SQLite
 * and PostgreSQL.
 */
import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { testEnv } from '../../helpers/inkan.js';
import { basicAuth, type RegisteredClient } from '../../helpers/clients.js';
import { createDatabase, freePort } from '../../helpers/postgres-server.js';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { recordTokenResponse } from '../../helpers/secrets.js';
import { decodeStatusList, statusAt } from '@inkan/verifier/protocol';
import { createUser, HttpBrowser, openidCodeFlow } from '../../helpers/people.js';

afterAll(() => killServerProcesses());

const serverUrl = inject('postgresUrl');
const engines: Array<[string, () => Promise<Record<string, string>>]> = [['SQLite', async () => ({})]];
if (serverUrl !== '' || process.env.CI === 'true') {
  engines.push(['PostgreSQL', async () => ({ DATABASE_URL: await createDatabase(serverUrl, `durable_${crypto.randomBytes(6).toString('hex')}`) })]);
}

const REDIRECT = 'http://127.0.0.1:9/callback';
const EMAIL = 'durable@example.com';
const PASSWORD = 'durable-password-1';

async function clientToken(issuer: string, client: RegisteredClient): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await response.json()) as { access_token: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  recordTokenResponse(body);
  return body.access_token;
}

/** The token's status bit as a relying party reads it: the signed list at the token's uri, verified with the JWKS. */
async function bitOf(issuer: string, token: string): Promise<number> {
  const { idx, uri } = (decodeJwt(token).status as { status_list: { idx: number; uri: string } }).status_list;
  const response = await fetch(uri);
  expect(response.status).toBe(200);
  const { payload } = await jwtVerify(await response.text(), createRemoteJWKSet(new URL(`${issuer}/jwks`)), { typ: 'statuslist+jwt', issuer, subject: uri });
  const list = payload.status_list as { bits: 1; lst: string };
  return statusAt(decodeStatusList(list.lst), list.bits, idx);
}

/** Milliseconds until every token's bit is 1 (polling every 20 ms), or a failure after `timeoutMs`. */
async function msUntilRevoked(issuer: string, tokens: readonly string[], timeoutMs = 3000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const bits = await Promise.all(tokens.map((token) => bitOf(issuer, token)));
    if (bits.every((bit) => bit === 1)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`bits still ${JSON.stringify(bits)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function register(server: ServerProcess, args: readonly string[]): Promise<RegisteredClient> {
  const result = await server.cli(['clients', 'create', ...args]);
  expect(result.code, result.stderr).toBe(0);
  return result.json<RegisteredClient>();
}

describe.each(engines)('%s', (_engine, databaseEnv) => {
  it('sets the bits of tokens issued before a SIGKILL, for every kind of revocation, within a second', { timeout: 90_000 }, async () => {
    const { dir, env: base } = testEnv(await databaseEnv());
    const port = await freePort();
    const env = { ...base, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' };
    let server = await startServerProcess(dir, env);
    const service = await register(server, ['--name', 'service', '--alg', 'EdDSA']);
    const doomed = await register(server, ['--name', 'doomed']);
    const app = await register(server, [
      '--name', 'app', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid',
      '--auth-method', 'client_secret_basic', '--skip-consent',
    ]);
    await createUser(server, EMAIL, PASSWORD);

    const personToken = async () => {
      const config = await oidc.discovery(new URL(server.issuer), app.client_id, undefined, oidc.ClientSecretBasic(app.client_secret!), {
        execute: [oidc.allowInsecureRequests],
      });
      const tokens = await openidCodeFlow(config, new HttpBrowser(server.issuer), { redirectUri: REDIRECT, scope: 'openid', email: EMAIL, password: PASSWORD });
      return tokens.access_token;
    };
    const byJti = await clientToken(server.issuer, service);
    const kept = await clientToken(server.issuer, service);
    const ofDoomed = [await clientToken(server.issuer, doomed), await clientToken(server.issuer, doomed)];
    const ofPerson = [await personToken(), await personToken()];
    const revokedWhileDown = await clientToken(server.issuer, service);

    await server.kill('SIGKILL');
    server = await startServerProcess(dir, env);
    for (const token of [byJti, kept, ...ofDoomed, ...ofPerson, revokedWhileDown]) expect(await bitOf(server.issuer, token)).toBe(0);

    // RFC 7009 on one access token, at the new server.
    const revoked = await fetch(`${server.issuer}/revoke`, {
      method: 'POST',
      headers: { authorization: basicAuth(service), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: byJti }),
    });
    expect(revoked.status).toBe(200);
    expect(await msUntilRevoked(server.issuer, [byJti])).toBeLessThan(1000);

    // The person, everywhere, from the CLI: another process.
    const loggedOut = await server.cli(['tokens', 'revoke', '--email', EMAIL]);
    const loggedOutAt = Date.now();
    expect(loggedOut.code, loggedOut.stderr).toBe(0);
    expect(Date.now() - loggedOutAt + (await msUntilRevoked(server.issuer, ofPerson))).toBeLessThan(1000);

    // A client deleted with the CLI.
    const deleted = await server.cli(['clients', 'delete', doomed.client_id]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await msUntilRevoked(server.issuer, ofDoomed)).toBeLessThan(1000);

    // Nothing else was touched.
    expect(await bitOf(server.issuer, kept)).toBe(0);
    expect(await bitOf(server.issuer, revokedWhileDown)).toBe(0);

    // A revocation written while no server ran is applied by the next one to start.
    await server.kill('SIGKILL');
    const offline = await server.cli(['clients', 'delete', service.client_id]);
    expect(offline.code, offline.stderr).toBe(0);
    server = await startServerProcess(dir, env);
    expect(await msUntilRevoked(server.issuer, [kept, revokedWhileDown])).toBeLessThan(1000);
    // And every bit set before is still set.
    for (const token of [byJti, ...ofDoomed, ...ofPerson]) expect(await bitOf(server.issuer, token)).toBe(1);
    await server.kill('SIGTERM');
  });
});
