/** GET /.well-known/openid-configuration and /.well-known/oauth-authorization-server. */
import type { Router, RouterMiddleware } from '@koa/router';

export function mountDiscovery(router: Router, document: Record<string, unknown>): void {
  // Serialised once: the document changes only with the configuration.
  const body = JSON.stringify(document);
  const serve: RouterMiddleware = (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = 'application/json';
    ctx.body = body;
  };
  router.get('/.well-known/openid-configuration', serve);
  router.get('/.well-known/oauth-authorization-server', serve);
}
