/**
 * The revocation feed over real HTTP: who may read it (RFC 6750 answers), the stream's shape
 * (snapshot, ready, live events, heartbeats), resumption with Last-Event-ID, Security Event
 * Tokens that verify against the JWKS, streams that end when their own credentials are revoked
 * (the token, or its client deleted), and the per-client cap on open streams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { SseParser, type FeedEvent } from '../../../packages/verifier/src/feed-client.js';
import { EVENT_TYPES, recordFromSecurityEvent } from '@inkan/verifier/protocol';

let server: TestServer;
let reader: RegisteredClient;
let feedUrl: string;

async function token(client: RegisteredClient, scope?: string): Promise<string> {
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Opens the feed and collects its events (and comment lines) until closed. */
async function openFeed(bearer: string, lastEventId?: string) {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${bearer}` };
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  const response = await fetch(feedUrl, { headers, signal: controller.signal });
  const events: FeedEvent[] = [];
  let raw = '';
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const done = (async () => {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        raw += text;
        events.push(...parser.push(text));
      }
    } catch {
      // aborted
    }
  })();
  const waitFor = async (predicate: (events: FeedEvent[]) => boolean, timeoutMs = 3000) => {
    const started = Date.now();
    while (!predicate(events)) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out; got ${JSON.stringify(events.map((e) => e.type))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return {
    response,
    events,
    raw: () => raw,
    waitFor,
    close: async () => {
      controller.abort();
      await done;
    },
  };
}

beforeAll(async () => {
  server = await startInkan({ env: { FEED_MAX_STREAMS_PER_CLIENT: '3' } });
  reader = await registerClient(server, ['--name', 'resource-server', '--scope', 'revocations:read api']);
  const discovery = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  feedUrl = discovery.revocation_feed_endpoint!;
});
afterAll(async () => {
  await server.stop();
});

describe('access to the feed', () => {
  it('is listed in discovery', () => {
    expect(feedUrl).toBe(`${server.issuer}/revocations/feed`);
  });

  it('answers 401 with a bare Bearer challenge without a token', async () => {
    const response = await fetch(feedUrl);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="inkan"');
    expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
  });

  it('answers 401 invalid_token for a forged, an ID-token-typed or a revoked token', async () => {
    const good = await token(reader);
    const [h, p] = good.split('.');
    for (const bad of ['a.b.c', `${h}.${p}.AAAA`]) {
      const response = await fetch(feedUrl, { headers: { authorization: `Bearer ${bad}` } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const idTyped = server.deps.keyring.signer('RS256').sign('JWT', claims);
    expect((await fetch(feedUrl, { headers: { authorization: `Bearer ${idTyped}` } })).status).toBe(401);
    const revoked = await token(reader);
    const revokedClaims = JSON.parse(Buffer.from(revoked.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number };
    await server.deps.revocations.revoke({ kind: 'jti', jti: revokedClaims.jti, expiresAt: revokedClaims.exp });
    const response = await fetch(feedUrl, { headers: { authorization: `Bearer ${revoked}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('revoked');
  });

  it('answers 403 insufficient_scope for a token without revocations:read', async () => {
    const response = await fetch(feedUrl, { headers: { authorization: `Bearer ${await token(reader, 'api')}` } });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="inkan", error="insufficient_scope", error_description="the access token lacks the scope revocations:read", scope="revocations:read"',
    );
    expect(((await response.json()) as { error: string }).error).toBe('insufficient_scope');
  });
});

describe('the stream', () => {
  it('sends a snapshot, ready, then each new revocation as a signed SET within milliseconds', async () => {
    const before = await server.deps.revocations.revoke({ kind: 'subject', sub: 'user-before' });
    const feed = await openFeed(await token(reader, 'revocations:read'));
    expect(feed.response.status).toBe(200);
    expect(feed.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(feed.response.headers.get('cache-control')).toBe('no-store');
    await feed.waitFor((events) => events.some((e) => e.type === 'ready'));
    expect(feed.events[0]!.type).toBe('reset');
    const snapshot = feed.events.filter((e) => e.type === 'revocation');
    expect(snapshot.map((e) => Number(e.id))).toContain(before.id);

    const started = Date.now();
    const record = await server.deps.revocations.revoke({ kind: 'session', sid: 'sid-123' });
    await feed.waitFor((events) => events.some((e) => e.id === String(record.id)));
    expect(Date.now() - started).toBeLessThan(500);
    const event = feed.events.find((e) => e.id === String(record.id))!;
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(event.data, jwks, { issuer: server.issuer, typ: 'secevent+jwt', algorithms: ['EdDSA'] });
    expect(protectedHeader.typ).toBe('secevent+jwt');
    expect(payload.events).toHaveProperty([EVENT_TYPES.session]);
    expect(payload).toMatchObject({ jti: `revocation-${record.id}`, sub_id: { format: 'complex', session: { format: 'opaque', id: 'sid-123' } } });
    expect(recordFromSecurityEvent(payload, server.issuer)).toEqual(record);
    await feed.close();
  });

  it('resumes after Last-Event-ID without a snapshot, and snapshots again for a cursor it cannot resume', async () => {
    const first = await server.deps.revocations.revoke({ kind: 'client', clientId: 'c-1' });
    const second = await server.deps.revocations.revoke({ kind: 'jti', jti: 'jti-2', expiresAt: Math.floor(Date.now() / 1000) + 600 });
    const bearer = await token(reader);
    const resumed = await openFeed(bearer, String(first.id));
    await resumed.waitFor((events) => events.some((e) => e.type === 'ready'));
    expect(resumed.events.map((e) => e.type)).toEqual(['revocation', 'ready']);
    expect(resumed.events[0]!.id).toBe(String(second.id));
    expect(JSON.parse(resumed.events[1]!.data)).toEqual({ last_event_id: second.id });
    await resumed.close();

    const ahead = await openFeed(bearer, '999999');
    await ahead.waitFor((events) => events.some((e) => e.type === 'ready'));
    expect(ahead.events[0]!.type).toBe('reset');
    expect(ahead.events.filter((e) => e.type === 'revocation').map((e) => Number(e.id))).toEqual(expect.arrayContaining([first.id, second.id]));
    await ahead.close();
  });

  it('pushes revocations written by another process (the CLI-style path through the store) within a second', async () => {
    const feed = await openFeed(await token(reader));
    await feed.waitFor((events) => events.some((e) => e.type === 'ready'));
    const now = Math.floor(Date.now() / 1000);
    // Written straight to the store, as another Inkan process or the CLI would: no local event.
    const record = await server.deps.stores.revocations.add({ kind: 'subject', sub: 'elsewhere', notBefore: now + 1 }, now, now + 900);
    const started = Date.now();
    await feed.waitFor((events) => events.some((e) => e.id === String(record.id)), 2500);
    expect(Date.now() - started).toBeLessThan(1500);
    await feed.close();
  });
});

describe('a stream\'s own credentials', () => {
  /** Opens a stream and resolves `closed` with the time the server ended it. */
  async function watchedFeed(bearer: string) {
    const response = await fetch(feedUrl, { headers: { authorization: `Bearer ${bearer}` } });
    expect(response.status).toBe(200);
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const events: FeedEvent[] = [];
    const closed = (async () => {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) events.push(...parser.push(decoder.decode(chunk, { stream: true })));
      return Date.now();
    })();
    const deadline = Date.now() + 3000;
    while (!events.some((event) => event.type === 'ready')) {
      if (Date.now() > deadline) throw new Error('no ready event');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { events, closed };
  }

  it('ends the stream within a second of its token being revoked (RFC 7009), after sending that revocation', async () => {
    const bearer = await token(reader, 'revocations:read');
    const feed = await watchedFeed(bearer);
    const revokedAt = Date.now();
    const revoked = await fetch(`${server.issuer}/revoke`, {
      method: 'POST',
      headers: { authorization: basicAuth(reader), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: bearer }),
    });
    expect(revoked.status).toBe(200);
    const closedAt = await feed.closed;
    expect(closedAt - revokedAt).toBeLessThan(1000);
    const last = feed.events.at(-1)!;
    expect(last.type).toBe('revocation');
    const { payload } = await jwtVerify(last.data, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer });
    expect(recordFromSecurityEvent(payload, server.issuer).target).toEqual({ kind: 'jti', jti: JSON.parse(Buffer.from(bearer.split('.')[1]!, 'base64url').toString()).jti });
    // The same token cannot open it again.
    expect((await fetch(feedUrl, { headers: { authorization: `Bearer ${bearer}` } })).status).toBe(401);
  });

  it('ends the stream within a second of its client being deleted with the CLI (another process)', async () => {
    const doomed = await registerClient(server, ['--name', 'doomed-rs', '--scope', 'revocations:read']);
    const feed = await watchedFeed(await token(doomed));
    const deleted = await server.cli(['clients', 'delete', doomed.client_id]);
    const cliExitedAt = Date.now();
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await feed.closed) - cliExitedAt).toBeLessThan(1000);
    const last = feed.events.at(-1)!;
    const { payload } = await jwtVerify(last.data, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer });
    expect(recordFromSecurityEvent(payload, server.issuer).target).toMatchObject({ kind: 'client', clientId: doomed.client_id });
  });

  it('lets one client hold FEED_MAX_STREAMS_PER_CLIENT streams, refuses one more with 429, and frees a slot when a stream ends', async () => {
    const capped = await registerClient(server, ['--name', 'capped-rs', '--scope', 'revocations:read']);
    const bearer = await token(capped);
    const open = await Promise.all([1, 2, 3].map(() => openFeed(bearer)));
    for (const feed of open) await feed.waitFor((events) => events.some((e) => e.type === 'ready'));
    const refused = await fetch(feedUrl, { headers: { authorization: `Bearer ${bearer}` } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await refused.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'this client already holds every revocation-feed stream it may open',
    });
    // Another client is not affected.
    const other = await openFeed(await token(reader));
    await other.waitFor((events) => events.some((e) => e.type === 'ready'));
    await other.close();
    await open[0]!.close();
    const deadline = Date.now() + 3000;
    let again = await fetch(feedUrl, { headers: { authorization: `Bearer ${bearer}` } });
    while (again.status === 429 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await fetch(feedUrl, { headers: { authorization: `Bearer ${bearer}` } });
    }
    expect(again.status).toBe(200);
    await again.body?.cancel();
    for (const feed of open.slice(1)) await feed.close();
  });
});
