/**
 * Inkan as an OpenID Shared Signals transmitter, driven by a receiver written from the specs
 * (support.ts): the configuration document, a push stream that passes verification and receives
 * CAEP session-revoked after `tokens revoke --email`, RISC account-disabled after `users disable`,
 * account-enabled after `users enable`, credential-change after `users set-password` (all through
 * the real CLI), a push retried after a 500, a poll stream that returns the same SETs and honours
 * acknowledgements, long polling, paused and disabled streams, a receiver that cannot see
 * another's stream, and the exact status of each bad request (SSF 1.0 §8, RFC 8936).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { eventually } from '../../helpers/eventually.js';
import { recordSecrets } from '../../helpers/secrets.js';
import { createUser, HttpBrowser, openidCodeFlow } from '../../helpers/people.js';
import { registerClient, clientCredentialsToken } from '../../helpers/clients.js';
import { refresh, registerApp, startFamily } from '../../helpers/refresh.js';
import {
  ACCOUNT_DISABLED,
  ACCOUNT_ENABLED,
  ALL_EVENTS,
  CREDENTIAL_CHANGE,
  POLL,
  PUSH,
  pushEndpoint,
  receiver,
  SESSION_REVOKED,
  VERIFICATION,
  type PushEndpoint,
  type Receiver,
  type Set,
} from './support.js';

let server: TestServer;
let rx: Receiver;
let endpoint: PushEndpoint;

beforeAll(async () => {
  server = await startInkan();
  rx = await receiver(server);
  endpoint = await pushEndpoint();
});

afterAll(async () => {
  await endpoint?.close();
  await server?.stop();
});

type Stream = Record<string, unknown> & { stream_id: string };

async function createStream(body: unknown, who: Receiver = rx): Promise<Stream> {
  const created = await who.call('POST', who.config.configuration_endpoint, body);
  expect(created.status).toBe(201);
  return created.body as Stream;
}

/** The pushed SETs of one stream (by aud and, for verification, stream id), verified. */
async function pushedSets(audience: string): Promise<Set[]> {
  const sets: Set[] = [];
  for (const { body, status } of endpoint.received) {
    if (status !== 202) continue;
    const set = await rx.verify(body, audience).catch(() => undefined);
    if (set !== undefined) sets.push(set);
  }
  return sets;
}

async function cli(args: string[], stdin?: string) {
  const result = await server.cli(args, stdin);
  expect(result.code, result.stderr).toBe(0);
  return result;
}

describe('the transmitter configuration (SSF 1.0 §7)', () => {
  it('is public JSON listing the transmitter, its keys, delivery methods and endpoints', async () => {
    const response = await fetch(`${server.issuer}/.well-known/ssf-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      spec_version: '1_0',
      issuer: server.issuer,
      jwks_uri: `${server.issuer}/jwks`,
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: `${server.issuer}/ssf/streams`,
      status_endpoint: `${server.issuer}/ssf/status`,
      verification_endpoint: `${server.issuer}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'ALL',
    });
    const discovery = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as { scopes_supported: string[] };
    expect(discovery.scopes_supported).toContain('ssf');
  });
});

describe('a push stream (RFC 8935)', () => {
  let stream: Stream;

  beforeAll(async () => {
    recordSecrets('Bearer receiver-secret-1');
    stream = await createStream({
      delivery: { method: PUSH, endpoint_url: endpoint.url, authorization_header: 'Bearer receiver-secret-1' },
      events_requested: [...ALL_EVENTS, 'urn:example:unknown'],
      description: 'push stream',
    });
  });

  it('is created with the configuration of SSF §8.1.1, the header never echoed', async () => {
    expect(stream).toEqual({
      stream_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      iss: server.issuer,
      aud: rx.client.client_id,
      delivery: { method: PUSH, endpoint_url: endpoint.url },
      events_supported: ALL_EVENTS,
      events_requested: [...ALL_EVENTS, 'urn:example:unknown'],
      events_delivered: ALL_EVENTS,
      min_verification_interval: 5,
      description: 'push stream',
    });
    const read = await rx.call('GET', `${rx.config.configuration_endpoint}?stream_id=${stream.stream_id}`);
    expect(read).toMatchObject({ status: 200, body: stream });
    expect(read.headers.get('cache-control')).toBe('no-store');
  });

  it('passes verification: the verification SET arrives, signed with a JWKS key, with the state', async () => {
    const verify = await rx.call('POST', rx.config.verification_endpoint, { stream_id: stream.stream_id, state: 'state-1' });
    expect(verify.status).toBe(204);
    await eventually(async () => (await pushedSets(rx.client.client_id)).some((set) => set.type === VERIFICATION), 10_000);
    const [set] = (await pushedSets(rx.client.client_id)).filter((each) => each.type === VERIFICATION);
    expect(set!.header).toMatchObject({ typ: 'secevent+jwt', alg: 'RS256', kid: expect.any(String) });
    expect(set!.claims).toEqual({
      iss: server.issuer,
      aud: rx.client.client_id,
      iat: expect.any(Number),
      jti: expect.any(String),
      sub_id: { format: 'opaque', id: stream.stream_id },
      events: { [VERIFICATION]: { state: 'state-1' } },
    });
    const request = endpoint.received.find((each) => each.body === set!.jwt)!;
    expect(request.contentType).toBe('application/secevent+jwt');
    expect(request.authorization).toBe('Bearer receiver-secret-1');
  });

  it('delivers session-revoked after tokens revoke --email, and account-disabled after users disable, with one txn', async () => {
    const person = await createUser(server, 'ssf-push@example.com', 'a long password 1');
    await cli(['tokens', 'revoke', '--email', person.email]);
    await eventually(async () => (await pushedSets(rx.client.client_id)).some((set) => set.type === SESSION_REVOKED), 10_000);
    const revoked = (await pushedSets(rx.client.client_id)).find((set) => set.type === SESSION_REVOKED)!;
    expect(revoked.claims).toMatchObject({
      iss: server.issuer,
      aud: rx.client.client_id,
      txn: expect.any(String),
      sub_id: { format: 'iss_sub', iss: server.issuer, sub: person.id },
      events: { [SESSION_REVOKED]: { initiating_entity: 'admin', event_timestamp: expect.any(Number) } },
    });
    expect(revoked.claims).not.toHaveProperty('sub');
    expect(revoked.claims).not.toHaveProperty('exp');

    await cli(['users', 'disable', '--email', person.email]);
    await eventually(async () => (await pushedSets(rx.client.client_id)).some((set) => set.type === ACCOUNT_DISABLED), 10_000);
    const sets = await pushedSets(rx.client.client_id);
    const disabled = sets.find((set) => set.type === ACCOUNT_DISABLED)!;
    expect(disabled.claims).toMatchObject({ sub_id: { format: 'iss_sub', iss: server.issuer, sub: person.id }, events: { [ACCOUNT_DISABLED]: {} } });
    await eventually(async () => (await pushedSets(rx.client.client_id)).filter((set) => set.claims.txn === disabled.claims.txn).length === 2, 10_000);
    const sameCause = (await pushedSets(rx.client.client_id)).filter((set) => set.claims.txn === disabled.claims.txn).map((set) => set.type);
    expect(sameCause).toEqual([ACCOUNT_DISABLED, SESSION_REVOKED]);

    expect(await cli(['users', 'enable', '--email', person.email]).then((result) => result.json())).toEqual({ enabled: person.email });
    await eventually(async () => (await pushedSets(rx.client.client_id)).some((set) => set.type === ACCOUNT_ENABLED), 10_000);
  });

  it('delivers session-revoked for the one session a person ends at end-session, with the session as subject', async () => {
    const web = await registerClient(server, [
      '--name', 'web', '--grant-types', 'authorization_code', '--redirect-uris', 'http://127.0.0.1:9/cb',
      '--post-logout-redirect-uris', 'http://127.0.0.1:9/bye', '--scope', 'openid', '--skip-consent',
    ]);
    const config = await oidc.discovery(new URL(server.issuer), web.client_id, undefined, oidc.ClientSecretBasic(web.client_secret!), { execute: [oidc.allowInsecureRequests] });
    const person = await createUser(server, 'ssf-logout@example.com', 'a long password 1');
    const browser = new HttpBrowser(server.issuer);
    const tokens = await openidCodeFlow(config, browser, { redirectUri: 'http://127.0.0.1:9/cb', scope: 'openid', email: person.email, password: 'a long password 1' });
    const sid = tokens.claims()!.sid as string;
    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/bye' });
    expect([302, 303]).toContain((await browser.request(logout.href)).status);
    const about = async () => (await pushedSets(rx.client.client_id)).filter((set) => set.type === SESSION_REVOKED && set.claims.sub_id?.format === 'complex');
    await eventually(async () => (await about()).some((set) => (set.claims.sub_id?.session as { id?: string } | undefined)?.id === sid), 10_000);
    const set = (await about()).find((each) => (each.claims.sub_id?.session as { id?: string }).id === sid)!;
    expect(set.claims.sub_id).toEqual({ format: 'complex', user: { format: 'iss_sub', iss: server.issuer, sub: person.id }, session: { format: 'opaque', id: sid } });
    expect(set.claims.events![SESSION_REVOKED]).toMatchObject({ initiating_entity: 'user' });
  });

  it('delivers credential-change and session-revoked after users set-password, which ends the person\'s sessions', async () => {
    const person = await createUser(server, 'ssf-password@example.com', 'a long password 1');
    const result = await cli(['users', 'set-password', '--email', person.email, '--password-stdin'], 'a new long password 2\n');
    expect(result.json()).toEqual({ password_set: person.email });
    const about = async () => (await pushedSets(rx.client.client_id)).filter((set) => set.claims.sub_id?.sub === person.id);
    await eventually(async () => (await about()).length === 2, 10_000);
    const sets = await about();
    expect(sets.map((set) => set.type)).toEqual([CREDENTIAL_CHANGE, SESSION_REVOKED]);
    expect(sets[0]!.claims.events![CREDENTIAL_CHANGE]).toMatchObject({ credential_type: 'password', change_type: 'update', initiating_entity: 'admin' });
    expect(sets[0]!.claims.txn).toBe(sets[1]!.claims.txn);
  });

  it('retries a push that answered 500, with the same SET', async () => {
    const before = endpoint.received.length;
    endpoint.failNext(1);
    await new Promise((resolve) => setTimeout(resolve, 5100)); // min_verification_interval since the last request
    expect((await rx.call('POST', rx.config.verification_endpoint, { stream_id: stream.stream_id, state: 'after-500' })).status).toBe(204);
    await eventually(() => endpoint.received.slice(before).some((each) => each.status === 202), 15_000);
    const attempts = endpoint.received.slice(before);
    expect(attempts[0]!.status).toBe(500);
    const delivered = attempts.find((each) => each.status === 202)!;
    const set = await rx.verify(delivered.body, rx.client.client_id);
    expect(set.claims.events).toEqual({ [VERIFICATION]: { state: 'after-500' } });
    const failed = await rx.verify(attempts[0]!.body, rx.client.client_id);
    expect(failed.claims.jti).toBe(set.claims.jti);
    const metrics = (await server.deps.metrics.render()).body;
    expect(metrics).toMatch(/^inkan_ssf_sets_total\{method="push",outcome="failed"\} [1-9]/m);
    expect(metrics).toMatch(/^inkan_ssf_sets_total\{method="push",outcome="delivered"\} [1-9]/m);
  });

  it('holds events while paused and delivers them once enabled again', async () => {
    const paused = await rx.call('POST', rx.config.status_endpoint, { stream_id: stream.stream_id, status: 'paused', reason: 'maintenance' });
    expect(paused).toMatchObject({ status: 200, body: { stream_id: stream.stream_id, status: 'paused', reason: 'maintenance' } });
    expect(await rx.call('GET', `${rx.config.status_endpoint}?stream_id=${stream.stream_id}`)).toMatchObject({ status: 200, body: { status: 'paused' } });
    const person = await createUser(server, 'ssf-paused@example.com', 'a long password 1');
    await cli(['tokens', 'revoke', '--email', person.email]);
    const about = async () => (await pushedSets(rx.client.client_id)).filter((set) => set.claims.sub_id?.sub === person.id);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await about()).toEqual([]);
    expect((await rx.call('POST', rx.config.status_endpoint, { stream_id: stream.stream_id, status: 'enabled' })).status).toBe(200);
    await eventually(async () => (await about()).length === 1, 10_000);
  });
});

describe('a poll stream (RFC 8936)', () => {
  let stream: Stream;
  let pollUrl: string;

  beforeAll(async () => {
    stream = await createStream({ events_requested: [SESSION_REVOKED, ACCOUNT_DISABLED] });
    pollUrl = (stream.delivery as { endpoint_url: string }).endpoint_url;
  });

  const poll = async (body: unknown) => {
    const answer = await rx.call('POST', pollUrl, body);
    expect(answer.status).toBe(200);
    return answer.body as { sets: Record<string, string>; moreAvailable?: boolean };
  };

  it('is the default delivery, with the transmitter\'s endpoint_url', () => {
    expect(stream.delivery).toEqual({ method: POLL, endpoint_url: `${server.issuer}/ssf/poll/${stream.stream_id}` });
    expect(stream.events_delivered).toEqual([SESSION_REVOKED, ACCOUNT_DISABLED]);
  });

  it('returns the same SETs until they are acknowledged, and never an acknowledged one again', async () => {
    const person = await createUser(server, 'ssf-poll@example.com', 'a long password 1');
    await cli(['users', 'disable', '--email', person.email]);
    const first = await poll({ returnImmediately: true });
    const jtis = Object.keys(first.sets);
    expect(jtis).toHaveLength(2);
    const sets = await Promise.all(Object.values(first.sets).map((jwt) => rx.verify(jwt, rx.client.client_id)));
    expect(sets.map((set) => set.type)).toEqual([ACCOUNT_DISABLED, SESSION_REVOKED]);
    expect(sets.map((set) => set.claims.jti)).toEqual(jtis);
    expect(first.moreAvailable).toBe(false);

    // Not acknowledged: returned again, the same SETs.
    expect(Object.keys((await poll({ returnImmediately: true })).sets)).toEqual(jtis);
    // maxEvents 1: the first, and more are available.
    const one = await poll({ returnImmediately: true, maxEvents: 1 });
    expect(Object.keys(one.sets)).toEqual([jtis[0]]);
    expect(one.moreAvailable).toBe(true);
    // Acknowledge the first: only the second is returned.
    expect(Object.keys((await poll({ returnImmediately: true, ack: [jtis[0]] })).sets)).toEqual([jtis[1]]);
    // Acknowledge the second with maxEvents 0: nothing returned, and nothing left.
    expect((await poll({ ack: [jtis[1]], maxEvents: 0 })).sets).toEqual({});
    expect(await poll({ returnImmediately: true })).toEqual({ sets: {}, moreAvailable: false });
  });

  it('treats a SET reported in setErrs as received', async () => {
    const person = await createUser(server, 'ssf-seterrs@example.com', 'a long password 1');
    await cli(['tokens', 'revoke', '--email', person.email]);
    const [jti] = Object.keys((await poll({ returnImmediately: true })).sets);
    expect(jti).toBeDefined();
    await poll({ maxEvents: 0, setErrs: { [jti!]: { err: 'invalid_request', description: 'not for us' } } });
    expect((await poll({ returnImmediately: true })).sets).toEqual({});
  });

  it('long-polls when returnImmediately is false, answering when an event arrives', async () => {
    const person = await createUser(server, 'ssf-long@example.com', 'a long password 1');
    const waiting = poll({ returnImmediately: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await cli(['tokens', 'revoke', '--email', person.email]);
    const answer = await waiting;
    const sets = await Promise.all(Object.values(answer.sets).map((jwt) => rx.verify(jwt, rx.client.client_id)));
    expect(sets.map((set) => set.claims.sub_id)).toEqual([{ format: 'iss_sub', iss: server.issuer, sub: person.id }]);
    await poll({ maxEvents: 0, ack: Object.keys(answer.sets) });
  });

  it('delivers the verification event on the poll stream', async () => {
    expect((await rx.call('POST', rx.config.verification_endpoint, { stream_id: stream.stream_id })).status).toBe(204);
    const answer = await poll({ returnImmediately: true });
    const [set] = await Promise.all(Object.values(answer.sets).map((jwt) => rx.verify(jwt, rx.client.client_id)));
    expect(set!.claims).toMatchObject({ sub_id: { format: 'opaque', id: stream.stream_id }, events: { [VERIFICATION]: {} } });
    await poll({ maxEvents: 0, ack: Object.keys(answer.sets) });
  });

  it('holds nothing for a disabled stream, even once enabled again', async () => {
    expect((await rx.call('POST', rx.config.status_endpoint, { stream_id: stream.stream_id, status: 'disabled' })).status).toBe(200);
    const person = await createUser(server, 'ssf-disabled@example.com', 'a long password 1');
    await cli(['tokens', 'revoke', '--email', person.email]);
    expect(await poll({ returnImmediately: true })).toEqual({ sets: {}, moreAvailable: false });
    expect((await rx.call('POST', rx.config.status_endpoint, { stream_id: stream.stream_id, status: 'enabled' })).status).toBe(200);
    expect(await poll({ returnImmediately: true })).toEqual({ sets: {}, moreAvailable: false });
  });
});

describe('stream management (SSF 1.0 §8.1.1)', () => {
  it('updates (PATCH) only what is sent, replaces (PUT) everything, lists and deletes', async () => {
    const stream = await createStream({ events_requested: [SESSION_REVOKED], description: 'first' });
    const patched = await rx.call('PATCH', rx.config.configuration_endpoint, { stream_id: stream.stream_id, events_requested: [ACCOUNT_DISABLED], iss: server.issuer });
    expect(patched).toMatchObject({ status: 200, body: { events_requested: [ACCOUNT_DISABLED], events_delivered: [ACCOUNT_DISABLED], description: 'first' } });
    const replaced = await rx.call('PUT', rx.config.configuration_endpoint, { stream_id: stream.stream_id, delivery: { method: PUSH, endpoint_url: endpoint.url } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ delivery: { method: PUSH, endpoint_url: endpoint.url }, events_requested: [], events_delivered: [] });
    expect(replaced.body).not.toHaveProperty('description');
    const listed = await rx.call('GET', rx.config.configuration_endpoint);
    expect(listed.status).toBe(200);
    expect((listed.body as Stream[]).map((each) => each.stream_id)).toContain(stream.stream_id);
    const deleted = await rx.call('DELETE', `${rx.config.configuration_endpoint}?stream_id=${stream.stream_id}`);
    expect(deleted.status).toBe(204);
    expect((await rx.call('GET', `${rx.config.configuration_endpoint}?stream_id=${stream.stream_id}`)).status).toBe(404);
  });

  it('deletes a receiver\'s streams with its client', async () => {
    const leaving = await receiver(server, 'leaving receiver');
    await createStream({ delivery: { method: PUSH, endpoint_url: endpoint.url } }, leaving);
    expect(await server.deps.stores.ssfStreams.countForClient(leaving.client.client_id)).toBe(1);
    await cli(['clients', 'delete', leaving.client.client_id]);
    expect(await server.deps.stores.ssfStreams.countForClient(leaving.client.client_id)).toBe(0);
  });

  it('shows a receiver only its own streams: another\'s is 404 everywhere', async () => {
    const other = await receiver(server, 'other receiver');
    const mine = await createStream({ events_requested: [SESSION_REVOKED] });
    const id = mine.stream_id;
    expect(await other.call('GET', other.config.configuration_endpoint)).toMatchObject({ status: 200, body: [] });
    expect((await other.call('GET', `${other.config.configuration_endpoint}?stream_id=${id}`)).status).toBe(404);
    expect((await other.call('PATCH', other.config.configuration_endpoint, { stream_id: id, description: 'x' })).status).toBe(404);
    expect((await other.call('PUT', other.config.configuration_endpoint, { stream_id: id })).status).toBe(404);
    expect((await other.call('DELETE', `${other.config.configuration_endpoint}?stream_id=${id}`)).status).toBe(404);
    expect((await other.call('GET', `${other.config.status_endpoint}?stream_id=${id}`)).status).toBe(404);
    expect((await other.call('POST', other.config.status_endpoint, { stream_id: id, status: 'disabled' })).status).toBe(404);
    expect((await other.call('POST', other.config.verification_endpoint, { stream_id: id })).status).toBe(404);
    expect((await other.call('POST', (mine.delivery as { endpoint_url: string }).endpoint_url, {})).status).toBe(404);
    expect(await rx.call('GET', `${rx.config.status_endpoint}?stream_id=${id}`)).toMatchObject({ status: 200, body: { status: 'enabled' } });
  });
});

describe('bad requests get the statuses of SSF 1.0 §8 and RFC 6750', () => {
  let stream: Stream;
  let pushStream: Stream;
  beforeAll(async () => {
    stream = await createStream({ events_requested: [SESSION_REVOKED] });
    pushStream = await createStream({ delivery: { method: PUSH, endpoint_url: endpoint.url } });
  });

  it('401 without a token, or with a bad one', async () => {
    for (const [method, url] of [
      ['POST', rx.config.configuration_endpoint],
      ['GET', rx.config.configuration_endpoint],
      ['GET', `${rx.config.status_endpoint}?stream_id=${stream.stream_id}`],
      ['POST', rx.config.verification_endpoint],
      ['POST', (stream.delivery as { endpoint_url: string }).endpoint_url],
    ] as const) {
      const answer = await rx.call(method, url, method === 'POST' ? { stream_id: stream.stream_id } : undefined, '');
      expect(answer.status, `${method} ${url}`).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="inkan"');
    }
    expect((await rx.call('GET', rx.config.configuration_endpoint, undefined, 'not-a-token')).status).toBe(401);
  });

  it('403 for a token without the ssf scope, and for a person-less client token of another scope', async () => {
    const plain = await registerClient(server, ['--name', 'no ssf', '--grant-types', 'client_credentials', '--scope', 'revocations:read']);
    const token = await clientCredentialsToken(server.issuer, plain);
    const answer = await rx.call('POST', rx.config.configuration_endpoint, {}, token);
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect((await rx.call('GET', rx.config.configuration_endpoint, undefined, token)).status).toBe(403);
  });

  it('403 for a person\'s token, even when it carries the ssf scope', async () => {
    const app = await registerApp(server, ['--scope', 'openid offline_access ssf']);
    const { refreshToken } = await startFamily(server, app, { scopes: ['openid', 'offline_access', 'ssf'] });
    const refreshed = await refresh(server, app, refreshToken);
    const answer = await rx.call('GET', rx.config.configuration_endpoint, undefined, refreshed.body.access_token as string);
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: 'insufficient_scope' });
  });

  it('401 for a revoked token', async () => {
    const token = await rx.token();
    const revoked = await fetch(`${server.issuer}/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${rx.client.client_id}:${rx.client.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    expect(revoked.status).toBe(200);
    expect(await rx.call('GET', rx.config.configuration_endpoint, undefined, token)).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  });

  it('404 for an unknown stream', async () => {
    expect((await rx.call('GET', `${rx.config.configuration_endpoint}?stream_id=nope`)).status).toBe(404);
    expect((await rx.call('PATCH', rx.config.configuration_endpoint, { stream_id: 'nope' })).status).toBe(404);
    expect((await rx.call('DELETE', `${rx.config.configuration_endpoint}?stream_id=nope`)).status).toBe(404);
    expect((await rx.call('GET', `${rx.config.status_endpoint}?stream_id=nope`)).status).toBe(404);
    expect((await rx.call('POST', rx.config.verification_endpoint, { stream_id: 'nope' })).status).toBe(404);
    expect((await rx.call('POST', `${server.issuer}/ssf/poll/nope`, {})).status).toBe(404);
  });

  it('400 for a bad delivery, a body that cannot be read, and a mismatched transmitter property', async () => {
    const create = (body: unknown) => rx.call('POST', rx.config.configuration_endpoint, body);
    for (const delivery of [
      { method: 'urn:example:carrier-pigeon' },
      { method: PUSH },
      { method: PUSH, endpoint_url: 'not a url' },
      { method: PUSH, endpoint_url: 'http://receiver.example.com/events' },
      { method: POLL, endpoint_url: 'https://receiver.example.com/events' },
      'push',
    ]) {
      const answer = await create({ delivery });
      expect(answer.status, JSON.stringify(delivery)).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_request' });
    }
    expect((await create({ events_requested: 'all' })).status).toBe(400);
    const notJson = await fetch(rx.config.configuration_endpoint, { method: 'POST', headers: { authorization: `Bearer ${await rx.token()}`, 'content-type': 'application/json' }, body: '{' });
    expect(notJson.status).toBe(400);
    const id = stream.stream_id;
    expect((await rx.call('PATCH', rx.config.configuration_endpoint, { description: 'no id' })).status).toBe(400);
    expect((await rx.call('PATCH', rx.config.configuration_endpoint, { stream_id: id, iss: 'https://elsewhere.example' })).status).toBe(400);
    expect((await rx.call('PATCH', rx.config.configuration_endpoint, { stream_id: id, aud: 'someone-else' })).status).toBe(400);
    expect((await rx.call('PUT', rx.config.configuration_endpoint, { stream_id: id, events_delivered: [ACCOUNT_ENABLED] })).status).toBe(400);
    expect((await rx.call('DELETE', rx.config.configuration_endpoint)).status).toBe(400);
    expect((await rx.call('GET', rx.config.status_endpoint)).status).toBe(400);
    expect((await rx.call('POST', rx.config.status_endpoint, { stream_id: id, status: 'asleep' })).status).toBe(400);
    expect((await rx.call('POST', rx.config.verification_endpoint, { stream_id: id, state: 42 })).status).toBe(400);
  });

  it('400 for a bad poll request, and for polling a push stream', async () => {
    const pollUrl = (stream.delivery as { endpoint_url: string }).endpoint_url;
    for (const body of [{ maxEvents: -1 }, { maxEvents: 'ten' }, { returnImmediately: 'yes' }, { ack: 'jti' }, { setErrs: { jti: 'bad' } }]) {
      expect((await rx.call('POST', pollUrl, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await rx.call('POST', `${server.issuer}/ssf/poll/${pushStream.stream_id}`, {})).status).toBe(400);
  });

  it('429 for a verification request within min_verification_interval', async () => {
    expect((await rx.call('POST', rx.config.verification_endpoint, { stream_id: stream.stream_id })).status).toBe(204);
    const again = await rx.call('POST', rx.config.verification_endpoint, { stream_id: stream.stream_id });
    expect(again.status).toBe(429);
    expect(again.headers.get('retry-after')).toBe('5');
  });

  it('409 past the number of streams a receiver may hold', async () => {
    const busy = await receiver(server, 'busy receiver');
    for (let i = 0; i < 10; i += 1) await createStream({}, busy);
    expect((await busy.call('POST', busy.config.configuration_endpoint, {})).status).toBe(409);
  });
});
