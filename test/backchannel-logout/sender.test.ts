/**
 * The POST of one logout token (src/backchannel-logout/sender.ts) against real local receivers:
 * the form it sends, 2xx as success, every other status a failure, a redirect never followed, a
 * receiver that does not answer cut at the timeout, an endless answer cut at the size limit, and a
 * closed port a network error.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, postLogoutToken } from '../../src/backchannel-logout/sender.js';
import { freePort } from '../helpers/postgres-server.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function receiver(handle: http.RequestListener): Promise<string> {
  const server = http.createServer(handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('postLogoutToken', () => {
  it('POSTs logout_token form-encoded and counts 200 and 204 as delivered', async () => {
    const seen: { method?: string; type?: string; body: string }[] = [];
    const url = await receiver((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, type: req.headers['content-type'], body });
        res.writeHead(req.url === '/no-content' ? 204 : 200, { 'cache-control': 'no-store' });
        res.end();
      });
    });
    expect(await postLogoutToken(`${url}/logout?tenant=a`, 'a.b+c/d', 2000)).toEqual({ ok: true, status: 200 });
    expect(await postLogoutToken(`${url}/no-content`, 'e.f.g', 2000)).toEqual({ ok: true, status: 204 });
    expect(seen[0]).toEqual({ method: 'POST', type: 'application/x-www-form-urlencoded', body: 'logout_token=a.b%2Bc%2Fd' });
  });

  it('counts any other status as a failure, and never follows a redirect', async () => {
    let redirectedTo = 0;
    const target = await receiver((_req, res) => {
      redirectedTo += 1;
      res.end();
    });
    const url = await receiver((req, res) => {
      if (req.url === '/moved') res.writeHead(307, { location: `${target}/elsewhere` }).end();
      else res.writeHead(req.url === '/bad' ? 400 : 500, { 'content-type': 'application/json' }).end('{"error":"invalid_request"}');
    });
    expect(await postLogoutToken(`${url}/bad`, 't', 2000)).toEqual({ ok: false, error: 'answered 400' });
    expect(await postLogoutToken(`${url}/down`, 't', 2000)).toEqual({ ok: false, error: 'answered 500' });
    expect(await postLogoutToken(`${url}/moved`, 't', 2000)).toEqual({ ok: false, error: 'answered 307 (redirects are not followed)' });
    expect(redirectedTo).toBe(0);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const url = await receiver(() => {
      // never answers
    });
    const started = performance.now();
    expect(await postLogoutToken(url, 't', 300)).toEqual({ ok: false, error: 'no answer within 300 ms' });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('stops reading an answer larger than the limit, and still goes by its status', async () => {
    const url = await receiver((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (res.write(chunk)) {
          // fill the socket until it pushes back
        }
      };
      res.on('drain', pump);
      pump();
    });
    expect(await postLogoutToken(url, 't', 10_000)).toEqual({ ok: true, status: 200 });
    expect(MAX_RESPONSE_BYTES).toBe(64 * 1024);
  });

  it('reports a refused connection as a network error', async () => {
    const port = await freePort();
    expect(await postLogoutToken(`http://127.0.0.1:${port}/logout`, 't', 2000)).toEqual({ ok: false, error: 'network error: ECONNREFUSED' });
  });
});
