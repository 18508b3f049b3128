/**
 * The POST of one logout token (OpenID Connect Back-Channel Logout 1.0 §2.5): form-encoded
 * `logout_token=<JWT>` to the client's registered URI. Success is any 2xx (§2.8: 200, or 204 as
 * relying parties often answer); anything else is a failure to retry: another status, a redirect
 * (never followed — the token goes only where the client registered), a network error, or no
 * complete answer within the timeout. The answer's body is read only to free the connection, and
 * at most MAX_RESPONSE_BYTES of it: a receiver that sends more is cut off (its status still
 * counts). Each POST is a `POST backchannel_logout` span carrying `traceparent` (tracing/spans.ts).
 */
import http from 'node:http';
import https from 'node:https';
import { outboundCall } from '../tracing/spans.js';

export const MAX_RESPONSE_BYTES = 64 * 1024;

export type SendOutcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly error: string };

export type LogoutSender = (uri: string, logoutToken: string, timeoutMs: number) => Promise<SendOutcome>;

export const postLogoutToken: LogoutSender = async (uri, logoutToken, timeoutMs) => {
  const url = new URL(uri);
  return outboundCall('backchannel_logout', 'POST', url, (traceHeaders) => post(url, logoutToken, timeoutMs, traceHeaders), (outcome) => (outcome.ok ? { status: outcome.status } : { error: outcome.error }));
};

function post(url: URL, logoutToken: string, timeoutMs: number, traceHeaders: Readonly<Record<string, string>>): Promise<SendOutcome> {
  return new Promise<SendOutcome>((resolve) => {
    const body = new URLSearchParams({ logout_token: logoutToken }).toString();
    const transport = url.protocol === 'https:' ? https : http;
    let settled = false;
    const settle = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = transport.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
        'user-agent': 'Inkan back-channel logout',
        ...traceHeaders,
      },
    });
    const timer = setTimeout(() => {
      settle({ ok: false, error: `no answer within ${timeoutMs} ms` });
      request.destroy();
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => settle({ ok: false, error: `network error: ${error.code ?? error.message}` }));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const outcome: SendOutcome =
        status >= 200 && status < 300
          ? { ok: true, status }
          : { ok: false, error: status >= 300 && status < 400 ? `answered ${status} (redirects are not followed)` : `answered ${status}` };
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) {
          response.destroy();
          settle(outcome);
        }
      });
      response.on('end', () => settle(outcome));
      response.on('error', () => settle(outcome));
      response.on('close', () => settle(outcome));
    });
    request.end(body);
  });
}
