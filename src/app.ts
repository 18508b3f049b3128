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
  const tokenStatus = {
    issuer: deps.config.issuer,
    clientAuthenticator: deps.clientAuthenticator,
    verifyAccessToken: deps.verifyAccessToken,
    revocations: deps.revocations,
    revokedAccessTokens: deps.stores.revokedAccessTokens,
    refreshTokens: deps.refreshTokens,
  };
  mountRevocation(router, tokenStatus);
  mountIntrospection(router, tokenStatus);
  const cookies = cookieJar(deps.config.issuer);
  mountAuthorize(router, { authorizer: deps.authorizer, cookies });
  mountLogin(router, { authorizer: deps.authorizer, cookies });
  mountConsent(router, { authorizer: deps.authorizer, cookies });
  mountUserinfo(router, { verifyAccessToken: deps.verifyUserinfoToken, users: deps.stores.users });
  mountEndSession(router, { stores: deps.stores, keyring: deps.keyring, clock: deps.clock, issuer: deps.config.issuer, hooks: deps.peopleHooks, cookies });
  mountRevocationFeed(router, { feed: deps.revocationFeed, verifyAccessToken: deps.verifyUserinfoToken, revocations: deps.revocations, log: deps.log });
  mountStatusList(router, { statusLists: deps.statusLists });
  mountHealth(router, deps);

  app.use(requestLog(deps.log));
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
