/**
 * buildApp(deps): the Koa application with its middleware in order and every endpoint mounted.
 * It never listens; main.ts does, and tests use `app.callback()` on their own server.
 */
import Koa from 'koa';
import Router from '@koa/router';
import type { Deps } from './deps.js';
import { discoveryDocument } from './oauth/discovery.js';
import { SECRET_AUTH_METHODS } from './clients/registry.js';
import { errorHandler } from './http/error-handler.js';
import { requestLog } from './http/request-log.js';
import { mountDiscovery } from './http/endpoints/discovery.js';
import { mountHealth } from './http/endpoints/health.js';
import { mountJwks } from './http/endpoints/jwks.js';
import { mountToken } from './http/endpoints/token.js';

export function buildApp(deps: Deps): Koa {
  const app = new Koa();
  const router = new Router();

  mountDiscovery(
    router,
    discoveryDocument(deps.config.issuer, {
      grantTypes: [...deps.grants.keys()],
      tokenEndpointAuthMethods: SECRET_AUTH_METHODS,
    }),
  );
  mountJwks(router, { keyring: deps.keyring, jwksMaxAgeSeconds: deps.config.jwksMaxAgeSeconds });
  mountToken(router, deps);
  mountHealth(router, deps);

  app.use(requestLog(deps.log));
  app.use(errorHandler(deps.log));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
