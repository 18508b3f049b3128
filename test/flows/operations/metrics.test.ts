/**
 * GET /metrics: each counter moves with the action that drives it (a token issued, a login that
 * fails, succeeds or is throttled, a refresh rotated or replayed, a revocation), requests are
 * labelled by route template and status class, the key and feed gauges are computed at scrape
 * time, prom-client's process metrics are there, and METRICS_TOKEN protects the endpoint.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { createUser, movableClock } from '../../helpers/people.js';
import { refresh, registerApp, revoke, startFamily } from '../../helpers/refresh.js';
import { clientToken, sample, scrape, signInAttempt } from '../../helpers/operations.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
// Standing still: a throttle block never runs out in the middle of the test.
const clock = movableClock();
let server: TestServer;
let service: RegisteredClient;
let webApp: RegisteredClient;

beforeAll(async () => {
  server = await startInkan({ core: { clock } });
  service = await registerClient(server, ['--name', 'svc', '--alg', 'EdDSA', '--scope', 'api revocations:read']);
  webApp = await registerClient(server, ['--name', 'web', '--grant-types', 'authorization_code', '--redirect-uris', REDIRECT, '--scope', 'openid']);
});
afterAll(async () => {
  await server.stop();
});

describe('counters', () => {
  it('count a token issued by grant type, alg and client', async () => {
    const labels = { grant_type: 'client_credentials', alg: 'EdDSA', client_id: service.client_id };
    const before = sample(await scrape(server), 'inkan_tokens_issued_total', labels) ?? 0;
    await clientToken(server, service, 'api');
    expect(sample(await scrape(server), 'inkan_tokens_issued_total', labels)).toBe(before + 1);
  });

  it('count failed, successful and throttled logins', async () => {
    await createUser(server, 'metrics@example.com', 'metrics-password-1');
    const count = async (outcome: string) => sample(await scrape(server), 'inkan_logins_total', { outcome });
    const failures = await count('failure');
    const successes = await count('success');
    const throttled = await count('throttled');
    expect((await signInAttempt(server, webApp.client_id, REDIRECT, 'metrics@example.com', 'not-the-password')).status).toBe(401);
    expect(await count('failure')).toBe(failures! + 1);
    expect((await signInAttempt(server, webApp.client_id, REDIRECT, 'metrics@example.com', 'metrics-password-1')).status).toBe(303);
    expect(await count('success')).toBe(successes! + 1);
    // The 5th consecutive failure blocks the account for a second; the clock does not move.
    for (let i = 0; i < 5; i++) expect((await signInAttempt(server, webApp.client_id, REDIRECT, 'metrics@example.com', `wrong-password-${i}`)).status).toBe(401);
    expect((await signInAttempt(server, webApp.client_id, REDIRECT, 'metrics@example.com', 'metrics-password-1')).status).toBe(429);
    expect(await count('throttled')).toBe(throttled! + 1);
    expect(await count('failure')).toBe(failures! + 6);
  });

  it('count refresh rotations, and a reuse detection with its revoked family', async () => {
    const app = await registerApp(server);
    const { refreshToken: first } = await startFamily(server, app);
    const before = await scrape(server);
    const second = await refresh(server, app, first);
    expect(second.status).toBe(200);
    expect((await refresh(server, app, second.body.refresh_token)).status).toBe(200);
    // The first token's successor was used: presenting the first again is theft.
    const replay = await refresh(server, app, first);
    expect(replay.body.error).toBe('invalid_grant');
    const after = await scrape(server);
    expect(sample(after, 'inkan_refresh_rotations_total', { outcome: 'rotated' })).toBe((sample(before, 'inkan_refresh_rotations_total', { outcome: 'rotated' }) ?? 0) + 2);
    expect(sample(after, 'inkan_refresh_reuse_detected_total')).toBe(sample(before, 'inkan_refresh_reuse_detected_total')! + 1);
    expect(sample(after, 'inkan_revocations_total', { kind: 'refresh_family' })).toBe((sample(before, 'inkan_revocations_total', { kind: 'refresh_family' }) ?? 0) + 1);
  });

  it('count revocations by kind', async () => {
    const { access_token } = await clientToken(server, service, 'api');
    const before = sample(await scrape(server), 'inkan_revocations_total', { kind: 'jti' }) ?? 0;
    expect((await revoke(server, service, access_token)).status).toBe(200);
    expect(sample(await scrape(server), 'inkan_revocations_total', { kind: 'jti' })).toBe(before + 1);
  });
});

describe('HTTP requests', () => {
  it('are labelled by the route template and the status class, never by the raw URL', async () => {
    const before = await scrape(server);
    const labels = { route: '/status-lists/:listId', method: 'GET', status_class: '4xx' };
    expect((await fetch(`${server.issuer}/status-lists/no-such-list-here`)).status).toBe(404);
    expect((await fetch(`${server.issuer}/no/such/path`)).status).toBe(404);
    const after = await scrape(server);
    expect(sample(after, 'inkan_http_requests_total', labels)).toBe((sample(before, 'inkan_http_requests_total', labels) ?? 0) + 1);
    expect(sample(after, 'inkan_http_request_duration_seconds_count', labels)).toBe((sample(before, 'inkan_http_request_duration_seconds_count', labels) ?? 0) + 1);
    expect(sample(after, 'inkan_http_requests_total', { route: 'unmatched', method: 'GET', status_class: '4xx' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'inkan_http_requests_total', { route: '/token', method: 'POST', status_class: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(after).not.toContain('no-such-list-here');
    expect(after).not.toContain('/no/such/path');
  });
});

describe('gauges', () => {
  it('give the age of each alg\'s active key and the time to its next scheduled rotation', async () => {
    const text = await scrape(server);
    for (const alg of ['RS256', 'EdDSA', 'ES256']) {
      const age = sample(text, 'inkan_signing_key_age_seconds', { alg });
      const next = sample(text, 'inkan_signing_key_next_rotation_seconds', { alg });
      expect(age).toBeGreaterThanOrEqual(0);
      expect(next).toBeGreaterThan(0);
      // KEY_ROTATION_INTERVAL defaults to 30 days: age + time to rotation is that interval.
      expect(age! + next!).toBe(2_592_000);
    }
  });

  it('give the feed\'s subscribers and the lag of the events it delivers', async () => {
    // The system clock here: the lag compares a record's creation time with the real time.
    const server = await startInkan();
    onTestFinished(() => server.stop());
    const service = await registerClient(server, ['--name', 'svc', '--scope', 'api revocations:read']);
    const { access_token: feedToken } = await clientToken(server, service, 'revocations:read');
    const controller = new AbortController();
    const response = await fetch(`${server.issuer}/revocations/feed`, { headers: { authorization: `Bearer ${feedToken}` }, signal: controller.signal });
    expect(response.status).toBe(200);
    let received = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) received += decoder.decode(chunk, { stream: true });
      } catch {
        // aborted
      }
    })();
    const waitFor = async (predicate: () => boolean | Promise<boolean>) => {
      const deadline = Date.now() + 5000;
      while (!(await predicate())) {
        if (Date.now() > deadline) throw new Error(`timed out; stream so far: ${received}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await waitFor(() => received.includes('event: ready'));
    const before = await scrape(server);
    expect(sample(before, 'inkan_revocation_feed_subscribers')).toBe(1);

    const { access_token } = await clientToken(server, service, 'api');
    await revoke(server, service, access_token);
    await waitFor(() => received.includes('event: revocation'));
    const after = await scrape(server);
    expect(sample(after, 'inkan_revocation_feed_delivery_lag_seconds_count')).toBe(sample(before, 'inkan_revocation_feed_delivery_lag_seconds_count')! + 1);
    expect(sample(after, 'inkan_revocation_feed_event_lag_seconds')).toBeGreaterThanOrEqual(0);
    // Delivered at once: the lag is under the record's own second plus a margin.
    expect(sample(after, 'inkan_revocation_feed_event_lag_seconds')).toBeLessThan(3);

    controller.abort();
    await reading;
    await waitFor(async () => sample(await scrape(server), 'inkan_revocation_feed_subscribers') === 0);
  });

  it('include prom-client\'s process and event-loop metrics', async () => {
    const text = await scrape(server);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});

describe('METRICS_TOKEN', () => {
  const METRICS_TOKEN = 'scrape-me-if-you-can-0123456789';
  let guarded: TestServer;
  beforeAll(async () => {
    guarded = await startInkan({ env: { METRICS_TOKEN } });
  });
  afterAll(async () => {
    await guarded.stop();
  });

  it('refuses a scrape without the token or with another one (401 with a Bearer challenge)', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-of-some-length' }, { authorization: `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}` }];
    for (const headers of attempts) {
      const response = await fetch(`${guarded.issuer}/metrics`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="inkan-metrics"');
      expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
    }
  });

  it('serves the metrics with the token', async () => {
    expect(sample(await scrape(guarded, { authorization: `Bearer ${METRICS_TOKEN}` }), 'inkan_logins_total', { outcome: 'success' })).toBe(0);
  });
});
