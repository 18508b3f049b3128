/**
 * MANAGEMENT_PORT: /metrics (whose labels name client ids), /healthz and /readyz move to a
 * listener of their own and leave the public one; the public endpoints stay on the public one
 * only; the graceful stop closes both listeners. Without it, everything stays on one listener.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient } from '../../helpers/clients.js';
import { clientToken, sample } from '../../helpers/operations.js';

describe('with MANAGEMENT_PORT', () => {
  let server: TestServer;
  let management: string;

  beforeAll(async () => {
    server = await startInkan({ env: { MANAGEMENT_PORT: '0' } });
    expect(server.managementUrl).toBeDefined();
    expect(server.managementPort).not.toBe(server.port);
    management = server.managementUrl!;
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serves /metrics, /healthz and /readyz on the management listener only', async () => {
    const client = await registerClient(server, ['--name', 'metered', '--scope', 'api']);
    await clientToken(server, client, 'api');
    const metrics = await fetch(`${management}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(await metrics.text(), 'inkan_tokens_issued_total', { client_id: client.client_id })).toBe(1);
    expect((await fetch(`${management}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${management}/readyz`)).json()).toEqual({ status: 'ready' });
    for (const path of ['/metrics', '/healthz', '/readyz']) {
      const answer = await fetch(`${server.issuer}${path}`);
      expect(answer.status).toBe(404);
      expect(await answer.text()).not.toContain(client.client_id);
    }
  });

  it('serves nothing else on the management listener', async () => {
    for (const path of ['/.well-known/openid-configuration', '/authorize', '/revoke']) {
      expect((await fetch(`${management}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${server.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  });

  it('closes both listeners on a graceful stop', async () => {
    const other = await startInkan({ env: { MANAGEMENT_PORT: '0' } });
    expect((await fetch(`${other.managementUrl}/readyz`)).status).toBe(200);
    await other.stop();
    for (const url of [`${other.managementUrl}/healthz`, `${other.issuer}/jwks`]) {
      await expect(fetch(url)).rejects.toThrow();
    }
  });
});

describe('without MANAGEMENT_PORT', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startInkan();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serves /metrics and the health endpoints on the public listener, as before', async () => {
    expect(server.managementUrl).toBeUndefined();
    for (const path of ['/metrics', '/healthz', '/readyz']) expect((await fetch(`${server.issuer}${path}`)).status).toBe(200);
  });
});
