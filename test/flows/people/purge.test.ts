/**
 * Housekeeping of the people tables (housekeeping/purge.ts): pending authorization requests go
 * once expired, authorization codes an hour after they expired, login-throttle counters once the
 * throttle has forgotten them, sessions a week after they ended or expired, Shared Signals security
 * events a week after they happened; consents stay. Each
 * row is counted in the SQLite file itself, before and after the clock passes each bound.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { AUTHORIZATION_CODE_RETENTION_SECONDS, purgeOnce, SECURITY_EVENT_RETENTION_SECONDS, SESSION_RETENTION_SECONDS } from '../../../src/housekeeping/purge.js';
import { disableUser } from '../../../src/accounts/users.js';
import { INTERACTION_TTL_SECONDS } from '../../../src/login/authorizer.js';
import { SESSION_TTL_SECONDS } from '../../../src/login/sessions.js';
import { ACCOUNT_RULE } from '../../../src/accounts/throttle.js';
import { authorizeUrl, createUser, csrfOf, HttpBrowser, movableClock, signIn } from '../../helpers/people.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const clock = movableClock();
let server: TestServer;
let spa: RegisteredClient;
let db: Database.Database;

beforeAll(async () => {
  server = await startInkan({ core: { clock } });
  await createUser(server, 'tidy@example.com', 'tidy-password-1');
  spa = await registerClient(server, [
    '--name', 'SPA', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid', '--auth-method', 'none',
  ]);
  db = new Database(path.join(server.dir, 'inkan.sqlite'), { readonly: true });
});
afterAll(async () => {
  db.close();
  await server.stop();
});

const TABLES = ['authorization_requests', 'authorization_codes', 'login_throttle', 'sessions', 'consents', 'users'] as const;
function rows(): Record<(typeof TABLES)[number], number> {
  return Object.fromEntries(TABLES.map((table) => [table, (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n])) as Record<
    (typeof TABLES)[number],
    number
  >;
}

const url = () =>
  authorizeUrl(server.issuer, {
    client_id: spa.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSwOrEcM', code_challenge_method: 'S256',
  });

it('removes each kind of people row once its bound passed, in bounded batches, and keeps consents', async () => {
  // A session, a remembered consent and an unexchanged code.
  const callback = await signIn(new HttpBrowser(server.issuer), url(), 'tidy@example.com', 'tidy-password-1');
  expect(callback.searchParams.get('code')).toEqual(expect.any(String));
  // A pending request with a failed sign-in: two throttle counters (account and address).
  const other = new HttpBrowser(server.issuer);
  const start = await other.request(url());
  const page = await other.request(start.location!);
  expect((await other.request(start.location!, { form: { csrf: csrfOf(page.body), email: 'tidy@example.com', password: 'wrong' } })).status).toBe(401);
  expect(rows()).toEqual({ authorization_requests: 1, authorization_codes: 1, login_throttle: 2, sessions: 1, consents: 1, users: 1 });

  const nothing = await purgeOnce(server.deps);
  expect(nothing).toMatchObject({ authorizationRequests: 0, authorizationCodes: 0, loginThrottle: 0, sessions: 0 });

  clock.advance(INTERACTION_TTL_SECONDS);
  expect(await purgeOnce(server.deps)).toMatchObject({ authorizationRequests: 1, authorizationCodes: 0 });
  expect(rows()).toMatchObject({ authorization_requests: 0, authorization_codes: 1 });

  clock.advance(AUTHORIZATION_CODE_RETENTION_SECONDS);
  expect(await purgeOnce(server.deps)).toMatchObject({ authorizationCodes: 1, loginThrottle: 0 });
  expect(rows()).toMatchObject({ authorization_codes: 0, login_throttle: 2 });

  // Batches of one: both counters still go in one run.
  clock.advance(ACCOUNT_RULE.forgetAfterSeconds);
  expect(await purgeOnce(server.deps, 1)).toMatchObject({ loginThrottle: 2, sessions: 0 });
  expect(rows()).toMatchObject({ login_throttle: 0, sessions: 1 });

  clock.advance(SESSION_TTL_SECONDS + SESSION_RETENTION_SECONDS);
  expect(await purgeOnce(server.deps)).toMatchObject({ sessions: 1 });
  expect(rows()).toEqual({ authorization_requests: 0, authorization_codes: 0, login_throttle: 0, sessions: 0, consents: 1, users: 1 });
});

it('removes security events once their retention passed', async () => {
  const count = () => (db.prepare('select count(*) as n from security_events').get() as { n: number }).n;
  await disableUser({ users: server.deps.stores.users, clock: server.deps.clock, revoker: server.deps.revoker }, 'tidy@example.com');
  expect(count()).toBe(2); // account-disabled and session-revoked
  expect(await purgeOnce(server.deps)).toMatchObject({ securityEvents: 0 });
  clock.advance(SECURITY_EVENT_RETENTION_SECONDS + 1);
  expect(await purgeOnce(server.deps)).toMatchObject({ securityEvents: 2 });
  expect(count()).toBe(0);
});
