/**
 * One check of Inkan's own access tokens (tokens/issued-access-token.ts) behind userinfo, the
 * revocation feed, introspection and RFC 7009 revocation: the same token gets the same verdict
 * everywhere, every kind of revocation record is honoured everywhere (a revocation written by
 * another process, the CLI, included), and only userinfo and the feed insist on the issuer as
 * audience. The two Bearer endpoints answer with the same RFC 6750 challenges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { issueAccessToken } from '../../../src/tokens/access-token.js';
import { createPerson, createSession, introspect, MovableClock, revoke, type Person } from '../../helpers/refresh.js';

const clock = new MovableClock();
let server: TestServer;
let resourceServer: RegisteredClient;
let feedUrl: string;

beforeAll(async () => {
  server = await startInkan({ core: { clock } });
  resourceServer = await registerClient(server, ['--name', 'rs', '--scope', 'openid revocations:read', '--resources', 'https://api.example.com']);
  const discovery = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  feedUrl = discovery.revocation_feed_endpoint!;
});
afterAll(async () => {
  await server.stop();
});

/** An access token as a grant would issue it, for `person` in session `sid`. */
async function tokenFor(person: Person, sid: string, audience: string = server.issuer): Promise<string> {
  const client = await server.deps.stores.clients.find(resourceServer.client_id);
  return issueAccessToken(
    { keyring: server.deps.keyring, clock, issuer: server.issuer, accessTokenTtlSeconds: server.deps.config.accessTokenTtlSeconds },
    { subject: person.id, client: client!, scopes: ['openid', 'revocations:read'], audience, extraClaims: { sid } },
  ).token;
}

interface Verdicts {
  readonly userinfo: number;
  readonly userinfoChallenge: string | null;
  readonly feed: number;
  readonly active: boolean;
}

async function verdicts(token: string): Promise<Verdicts> {
  const userinfo = await fetch(`${server.issuer}/userinfo`, { headers: { authorization: `Bearer ${token}` } });
  const controller = new AbortController();
  const feed = await fetch(feedUrl, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  controller.abort();
  const answer = await introspect(server, resourceServer, token);
  return { userinfo: userinfo.status, userinfoChallenge: userinfo.headers.get('www-authenticate'), feed: feed.status, active: answer.body.active as boolean };
}

async function freshLogin(): Promise<{ person: Person; sid: string; token: string }> {
  const person = await createPerson(server);
  const sid = await createSession(server, person);
  return { person, sid, token: await tokenFor(person, sid) };
}

describe('one access-token check', () => {
  it('accepts a live token everywhere', async () => {
    const { token } = await freshLogin();
    expect(await verdicts(token)).toEqual({ userinfo: 200, userinfoChallenge: null, feed: 200, active: true });
  });

  it('refuses a token for another audience at userinfo and the feed, and introspects it as active', async () => {
    const person = await createPerson(server);
    const token = await tokenFor(person, await createSession(server, person), 'https://api.example.com');
    const seen = await verdicts(token);
    expect(seen).toMatchObject({ userinfo: 401, feed: 401, active: true });
    expect(seen.userinfoChallenge).toContain('error="invalid_token"');
  });

  it('honours a session revocation (logout of one device) everywhere', async () => {
    const { sid, token } = await freshLogin();
    await server.deps.revoker.endSession(sid);
    const seen = await verdicts(token);
    expect(seen).toMatchObject({ userinfo: 401, feed: 401, active: false });
    expect(seen.userinfoChallenge).toContain('error_description="the access token was revoked"');
  });

  it('honours RFC 7009 on the token everywhere', async () => {
    const { token } = await freshLogin();
    expect((await revoke(server, resourceServer, token)).status).toBe(200);
    expect(await verdicts(token)).toMatchObject({ userinfo: 401, feed: 401, active: false });
  });

  it('sees a revocation another process (the CLI) committed just before the request', async () => {
    const person = await createPerson(server, `cli-${Date.now()}@example.com`);
    const token = await tokenFor(person, await createSession(server, person));
    const result = await server.cli(['tokens', 'revoke', '--email', person.email]);
    expect(result.code).toBe(0);
    expect(await verdicts(token)).toMatchObject({ userinfo: 401, feed: 401, active: false });
  });

  it('calls an expired token expired at userinfo and inactive at introspection', async () => {
    const { token } = await freshLogin();
    clock.advance(server.deps.config.accessTokenTtlSeconds + 1);
    try {
      const seen = await verdicts(token);
      expect(seen).toMatchObject({ userinfo: 401, feed: 401, active: false });
      expect(seen.userinfoChallenge).toContain('error_description="the access token has expired"');
    } finally {
      clock.advance(-(server.deps.config.accessTokenTtlSeconds + 1));
    }
  });
});

describe('the RFC 6750 challenges of userinfo and the feed', () => {
  it('are the same: bare without a token, 400 invalid_request for another scheme, 403 naming the missing scope', async () => {
    for (const url of [`${server.issuer}/userinfo`, feedUrl]) {
      const none = await fetch(url);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="inkan"');
      const basic = await fetch(url, { headers: { authorization: 'Basic abc' } });
      expect(basic.status).toBe(400);
      expect(((await basic.json()) as { error: string }).error).toBe('invalid_request');
      expect(basic.headers.get('www-authenticate')).toContain('error="invalid_request"');
    }
    const client = await server.deps.stores.clients.find(resourceServer.client_id);
    const person = await createPerson(server);
    const noScopes = issueAccessToken(
      { keyring: server.deps.keyring, clock, issuer: server.issuer, accessTokenTtlSeconds: 60 },
      { subject: person.id, client: client!, scopes: [], audience: server.issuer },
    ).token;
    const userinfo = await fetch(`${server.issuer}/userinfo`, { headers: { authorization: `Bearer ${noScopes}` } });
    expect(userinfo.status).toBe(403);
    expect(userinfo.headers.get('www-authenticate')).toContain('scope="openid"');
    const feed = await fetch(feedUrl, { headers: { authorization: `Bearer ${noScopes}` } });
    expect(feed.status).toBe(403);
    expect(feed.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(feed.headers.get('www-authenticate')).toContain('scope="revocations:read"');
  });
});
