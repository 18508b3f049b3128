/**
 * Audit events: one structured line per security event, with actor, subject, client, address and
 * request id, and never an email in clear. Server events are read from the server's own log lines
 * (startInkan's onLog); the CLI's from its CLI_AUDIT_LOG file (never its stdout, which holds
 * exactly one JSON document).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { LOG_CAPTURE_DIR, runCli, startInkan, type TestServer } from '../../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { createUser, movableClock } from '../../helpers/people.js';
import { refresh, registerApp, startFamily } from '../../helpers/refresh.js';
import { clientToken, LogLines, signInAttempt } from '../../helpers/operations.js';
import { freshPrivateKey } from '../../../src/keys/material.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
const clock = movableClock();
const log = new LogLines();
const cliAuditFile = path.join(LOG_CAPTURE_DIR, `cli-audit-${process.pid}-${crypto.randomUUID()}.log`);
let server: TestServer;
let webApp: RegisteredClient;
let admin: RegisteredClient;

const digest = (email: string) => crypto.createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 16);

function cliAudit(event: string): Record<string, unknown>[] {
  return fs
    .readFileSync(cliAuditFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.audit === true && line.event === event);
}

beforeAll(async () => {
  // JWKS_MAX_AGE=1: a next key may sign 4 s after it was published (the admin rotation below moves the clock that far).
  server = await startInkan({ core: { clock }, env: { ADMIN_API: 'on', CLI_AUDIT_LOG: cliAuditFile, JWKS_MAX_AGE: '1' }, onLog: log.collect });
  webApp = await registerClient(server, ['--name', 'web', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid']);
  admin = await registerClient(server, ['--name', 'ops', '--scope', 'admin']);
});
afterAll(async () => {
  await server.stop();
});

describe('server events', () => {
  it('login succeeded, failed and throttled: hashed email, client, address, request id', async () => {
    const email = 'Audit.Person@Example.com';
    const user = await createUser(server, email, 'audit-password-1');
    const failed = await signInAttempt(server, webApp.client_id, REDIRECT, email, 'not-the-password');
    expect(failed.status).toBe(401);
    const succeeded = await signInAttempt(server, webApp.client_id, REDIRECT, email, 'audit-password-1');
    expect(succeeded.status).toBe(303);
    for (let i = 0; i < 5; i++) await signInAttempt(server, webApp.client_id, REDIRECT, email, `wrong-password-${i}`);
    const throttled = await signInAttempt(server, webApp.client_id, REDIRECT, email, 'audit-password-1');
    expect(throttled.status).toBe(429);

    const failure = log.audit('login.failed').find((line) => line.reqId === failed.headers.get('x-request-id'));
    expect(failure).toMatchObject({ actor: 'user', email_sha256: digest(email), client_id: webApp.client_id, client_address: '127.0.0.1', level: 30 });
    expect(log.audit('login.succeeded').find((line) => line.reqId === succeeded.headers.get('x-request-id'))).toMatchObject({
      actor: 'user',
      actor_id: user.id,
      sub: user.id,
      email_sha256: digest(email),
      client_id: webApp.client_id,
      client_address: '127.0.0.1',
    });
    expect(log.audit('login.throttled').find((line) => line.reqId === throttled.headers.get('x-request-id'))).toMatchObject({
      actor: 'user',
      email_sha256: digest(email),
      client_id: webApp.client_id,
      retry_after_seconds: expect.any(Number),
    });
    const emailLines = log.raw.filter((line) => line.toLowerCase().includes('audit.person@example.com'));
    expect(emailLines).toEqual([]);
  });

  it('token issued: grant, client, sub, alg, jti and request id, never the token', async () => {
    const service = await registerClient(server, ['--name', 'svc', '--alg', 'EdDSA', '--scope', 'api']);
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basicAuth(service), 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'audit-token-request-1' },
      body: 'grant_type=client_credentials',
    });
    const { access_token } = (await response.json()) as { access_token: string };
    const { jti } = decodeJwt(access_token);
    expect(log.audit('token.issued').find((line) => line.jti === jti)).toMatchObject({
      actor: 'client',
      actor_id: service.client_id,
      grant_type: 'client_credentials',
      client_id: service.client_id,
      sub: service.client_id,
      alg: 'EdDSA',
      reqId: 'audit-token-request-1',
      client_address: '127.0.0.1',
    });
    expect(log.raw.some((line) => line.includes(access_token.split('.')[2]!))).toBe(false);
  });

  it('refresh reuse detected and family revoked: the family, client and sub, with the request', async () => {
    const app = await registerApp(server);
    const { refreshToken: first, person } = await startFamily(server, app);
    const second = await refresh(server, app, first);
    await refresh(server, app, second.body.refresh_token);
    const replay = await refresh(server, app, first);
    expect(replay.body.error).toBe('invalid_grant');
    const reuse = log.audit('refresh.reuse_detected').find((line) => line.client_id === app.client_id);
    expect(reuse).toMatchObject({ actor: 'client', actor_id: app.client_id, sub: person.id, family_id: expect.any(String), client_address: '127.0.0.1' });
    expect(reuse!.reqId).toEqual(expect.any(String));
    expect(log.audit('refresh.family_revoked').find((line) => line.client_id === app.client_id)).toMatchObject({
      reason: 'reuse_detected',
      family_id: reuse!.family_id,
      sub: person.id,
    });
  });

  it('key rotated and revoked through the admin API: the admin client as actor', async () => {
    const { access_token } = await clientToken(server, admin, 'admin');
    clock.advance(4); // the next key has been published long enough to sign
    const rotated = await fetch(`${server.issuer}/admin/v1/keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: '{"alg":"EdDSA"}',
    });
    const { active } = (await rotated.json()) as { active: { kid: string }[] };
    const line = log.audit('key.rotated').find((entry) => entry.kid === active[0]!.kid);
    expect(line).toMatchObject({ actor: 'admin-api', actor_id: admin.client_id, alg: 'EdDSA', previous_kid: expect.any(String), reqId: rotated.headers.get('x-request-id') });
    const revoked = await fetch(`${server.issuer}/admin/v1/keys/${encodeURIComponent(line!.previous_kid as string)}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(revoked.status).toBe(200);
    expect(log.audit('key.revoked').find((entry) => entry.kid === line!.previous_kid)).toMatchObject({ actor: 'admin-api', alg: 'EdDSA' });
  });

  it('the first keys of an empty database are rotations by the system', () => {
    expect(log.audit('key.rotated').filter((line) => line.actor === 'system' && line.previous_kid === null).map((line) => line.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
  });
});

describe('CLI events (appended to CLI_AUDIT_LOG, stdout untouched)', () => {
  it('client created and deleted', async () => {
    const created = await server.cli(['clients', 'create', '--name', 'audited', '--scope', 'api']);
    const { client_id: clientId, client_secret: secret } = created.json<{ client_id: string; client_secret: string }>();
    expect(cliAudit('client.created').find((line) => line.client_id === clientId)).toMatchObject({
      actor: 'cli',
      name: 'audited',
      auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      os_user: expect.any(String),
    });
    expect(fs.readFileSync(cliAuditFile, 'utf8')).not.toContain(secret);
    expect((await server.cli(['clients', 'delete', clientId])).code).toBe(0);
    expect(cliAudit('client.deleted').find((line) => line.client_id === clientId)).toMatchObject({ actor: 'cli', refresh_families_ended: 0 });
  });

  it('user created and disabled, tokens revoked: the sub and a hash of the email, never the email or password', async () => {
    const email = 'cli.audit@example.com';
    const user = await createUser(server, email, 'cli-audit-password');
    expect((await server.cli(['tokens', 'revoke', '--email', email])).code).toBe(0);
    expect((await server.cli(['users', 'disable', '--email', email])).code).toBe(0);
    expect(cliAudit('user.created').find((line) => line.sub === user.id)).toMatchObject({ actor: 'cli', email_sha256: digest(email) });
    expect(cliAudit('tokens.revoked').find((line) => line.sub === user.id)).toMatchObject({ actor: 'cli', email_sha256: digest(email), sessions_and_families_ended: 0 });
    expect(cliAudit('user.disabled').find((line) => line.sub === user.id)).toMatchObject({ actor: 'cli', email_sha256: digest(email) });
    expect((await server.cli(['users', 'enable', '--email', email])).code).toBe(0);
    expect(cliAudit('user.enabled').find((line) => line.sub === user.id)).toMatchObject({ actor: 'cli', email_sha256: digest(email) });
    expect((await server.cli(['users', 'set-password', '--email', email, '--password-stdin'], 'cli-audit-password-2\n')).code).toBe(0);
    expect(cliAudit('user.password_set').find((line) => line.sub === user.id)).toMatchObject({ actor: 'cli', email_sha256: digest(email), sessions_and_families_ended: 0 });
    const text = fs.readFileSync(cliAuditFile, 'utf8');
    expect(text).not.toContain(email);
    expect(text).not.toContain('cli-audit-password');
  });

  it('key rotated, imported and revoked', async () => {
    const rotated = await server.cli(['keys', 'rotate', '--alg', 'RS256']);
    const kid = rotated.json<{ active: { kid: string }[] }>().active[0]!.kid;
    expect(cliAudit('key.rotated').find((line) => line.kid === kid)).toMatchObject({ actor: 'cli', alg: 'RS256', previous_kid: expect.any(String) });
    const pem = freshPrivateKey('ed25519').export({ format: 'pem', type: 'pkcs8' }).toString();
    const imported = await server.cli(['keys', 'import', '--file', '-'], pem);
    expect(imported.code, imported.stderr).toBe(0);
    const importedKid = imported.json<{ imported: { kid: string } }>().imported.kid;
    expect(cliAudit('key.imported').find((line) => line.kid === importedKid)).toMatchObject({ actor: 'cli', alg: 'EdDSA' });
    expect((await server.cli(['keys', 'revoke', importedKid])).code).toBe(0);
    expect(cliAudit('key.revoked').find((line) => line.kid === importedKid)).toMatchObject({ actor: 'cli', alg: 'EdDSA' });
    expect(fs.readFileSync(cliAuditFile, 'utf8')).not.toContain('PRIVATE KEY');
  });

  it('an audit file that cannot be opened stops the command before it changes anything', async () => {
    const blocker = path.join(server.dir, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    const refused = await runCli(['clients', 'create', '--name', 'unaudited'], {
      env: { ...server.env, CLI_AUDIT_LOG: path.join(blocker, 'audit.log') },
      cwd: server.dir,
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^inkan: cannot open the audit log CLI_AUDIT_LOG=.*not-a-folder\/audit\.log: E[A-Z]+\n$/);
    const names = (await server.cli(['clients', 'list'])).json<{ name: string }[]>().map((client) => client.name);
    expect(names).not.toContain('unaudited');
  });
});
