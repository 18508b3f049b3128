/** GET /.well-known/openid-configuration and /.well-known/oauth-authorization-server: one document. */
import type { KoaHandler } from '../route.js';

export function discoveryEndpoint(document: Record<string, unknown>): KoaHandler {
  // Serialised once: the document changes only with the configuration.
  const body = JSON.stringify(document);
  return (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = 'application/json';
    ctx.body = body;
  };
}
