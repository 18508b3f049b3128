/**
 * buildApp(deps): the Koa application with its middleware in order and every endpoint mounted.
 * It never listens; main.ts does, and tests use `app.callback()` on their own server.
 */
import Koa from 'koa';
import Router from '@koa/router';
import type { Deps } from './deps.js';
import { discoveryDocument, ENDPOINT_PATHS } from './oauth/discovery.js';
import { SECRET_AUTH_METHODS } from './clients/registry.js';
import { errorHandler } from './http/error-handler.js';
import { requestLog } from './http/request-log.js';
import { mountDiscovery } from './http/endpoints/discovery.js';
import { mountHealth } from './http/endpoints/health.js';
import { mountRevocationFeed } from './http/endpoints/revocation-feed.js';
import { mountStatusList } from './http/endpoints/status-list.js';
import { mountJwks } from './http/endpoints/jwks.js';
import { mountToken } from './http/endpoints/token.js';
import { mountRevocation } from './http/endpoints/revocation.js';
import { mountIntrospection } from './http/endpoints/introspection.js';
import { cookieJar } from './http/cookies.js';
import { corsFor } from './http/cors.js';
import { mountAuthorize } from './http/endpoints/authorize.js';
import { mountLogin } from './http/endpoints/login.js';
import { mountConsent } from './http/endpoints/consent.js';
import { mountUserinfo } from './http/endpoints/userinfo.js';
import { mountEndSession } from './http/endpoints/end-session.js';
import { mountMetrics } from './http/endpoints/metrics.js';
import { mountAdmin } from './http/endpoints/admin.js';

export function buildApp(deps: Deps): Koa {
  // TRUST_PROXY: ctx.ip (login throttling, logs) from X-Forwarded-For, counting only the entries
  // appended by the operator's own proxies (the rightmost ones), which a client cannot forge.
  const app = new Koa({ proxy: deps.config.trustedProxyHops > 0, maxIpsCount: deps.config.trustedProxyHops });
  const router = new Router();

  mountDiscovery(
    router,
    discoveryDocument(deps.config.issuer, {
      grantTypes: [...deps.grants.keys()],
      tokenEndpointAuthMethods: [...SECRET_AUTH_METHODS, 'private_key_jwt'],
    }),
  );
  mountJwks(router, { keyring: deps.keyring, jwksMaxAgeSeconds: deps.config.jwksMaxAgeSeconds });
  mountToken(router, deps);
  const tokenStatus = {
    issuer: deps.config.issuer,
    clientAuthenticator: deps.clientAuthenticator,
    verifyAccessToken: deps.verifyAccessToken,
    revocations: deps.revocations,
    refreshTokens: deps.refreshTokens,
  };
  mountRevocation(router, tokenStatus);
  mountIntrospection(router, tokenStatus);
  const cookies = cookieJar(deps.config.issuer);
  mountAuthorize(router, { authorizer: deps.authorizer, cookies });
  mountLogin(router, { authorizer: deps.authorizer, cookies });
  mountConsent(router, { authorizer: deps.authorizer, cookies });
  mountUserinfo(router, { verifyAccessToken: deps.verifyAccessToken, issuer: deps.config.issuer, users: deps.stores.users, dpop: deps.dpop });
  mountEndSession(router, { stores: deps.stores, keyring: deps.keyring, clock: deps.clock, issuer: deps.config.issuer, hooks: deps.peopleHooks, cookies });
  mountRevocationFeed(router, { feed: deps.revocationFeed, verifyAccessToken: deps.verifyAccessToken, issuer: deps.config.issuer, log: deps.log });
  mountStatusList(router, { statusLists: deps.statusLists });
  mountHealth(router, deps);
  mountMetrics(router, { metrics: deps.metrics, metricsToken: deps.config.operations.metricsToken });
  if (deps.config.operations.adminApi) mountAdmin(router, { ...deps, issuer: deps.config.issuer });

  app.use(requestLog(deps.log, (route, method, status, seconds) => deps.metrics.httpRequest(route, method, status, seconds)));
  app.use(errorHandler(deps.log));
  app.use(
    corsFor([
      '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server',
      ENDPOINT_PATHS.jwks,
      ENDPOINT_PATHS.token,
      ENDPOINT_PATHS.userinfo,
      ENDPOINT_PATHS.revocation,
    ]),
  );
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
