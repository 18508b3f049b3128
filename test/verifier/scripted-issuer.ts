/**
 * A stand-in issuer for feed fault tests: discovery, a JWKS, a token endpoint that hands the
 * verifier a feed token, and a revocation feed whose every answer the test scripts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';

export interface ScriptedIssuer {
  readonly issuer: string;
  close(): Promise<void>;
}

export async function scriptedIssuer(script: {
  readonly jwks: () => JWK[];
  /** Answers GET /feed; the test writes the event stream. */
  readonly feed: (req: http.IncomingMessage, res: http.ServerResponse, issuer: string) => Promise<void>;
}): Promise<ScriptedIssuer> {
  let issuer = '';
  const api = http.createServer(async (req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      return json({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token`, revocation_feed_endpoint: `${issuer}/feed` });
    }
    if (req.url === '/jwks') return json({ keys: script.jwks() });
    if (req.url === '/token') return json({ access_token: 'feed-token', token_type: 'Bearer', expires_in: 3600 });
    if (req.url !== '/feed') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    await script.feed(req, res, issuer);
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  return {
    issuer,
    close: async () => {
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    },
  };
}
