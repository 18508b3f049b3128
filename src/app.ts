/**
 * buildRequestListeners(deps): Inkan's HTTP surface as node request listeners. The token and
 * JWKS endpoints are answered on the hot path (http/hot-path.ts); every other endpoint is a route
 * of the Koa application that buildApp(deps) assembles, with its middleware in order. With
 * MANAGEMENT_PORT set, /metrics, /healthz and /readyz form a second, management listener of their
 * own (buildManagementApp) and leave the public one, which then exposes no client ids (the
 * metrics' labels) to whoever reaches Inkan. None of them listens; server.ts does.
 */
import type { RequestListener } from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import type { Deps } from './deps.js';
import type { Readiness } from './http/endpoints/health.js';
import { discoveryDocument, ENDPOINT_PATHS } from './oauth/discovery.js';
import { SECRET_AUTH_METHODS } from './clients/registry.js';
import { errorHandler } from './http/error-handler.js';
import { createRequestLog, requestLogMiddleware, type RequestLog } from './http/request-log.js';
import { hotPath } from './http/hot-path.js';
import { noSniff } from './http/no-sniff.js';
import { mountDiscovery } from './http/endpoints/discovery.js';
import { mountHealth } from './http/endpoints/health.js';
import { mountRevocationFeed } from './http/endpoints/revocation-feed.js';
import { mountStatusList } from './http/endpoints/status-list.js';
import { jwksEndpoint } from './http/endpoints/jwks.js';
import { tokenEndpoint } from './http/endpoints/token.js';
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

export interface RequestListeners {
  readonly public: RequestListener;
  /** Only with MANAGEMENT_PORT: the listener of /metrics and the health endpoints. */
  readonly management: RequestListener | undefined;
}

export function buildRequestListeners(deps: Deps, readiness: Readiness): RequestListeners {
  const requestLog = createRequestLog(deps.log, (route, method, status, seconds) => deps.metrics.httpRequest(route, method, status, seconds));
  const separate = deps.config.http.managementPort !== undefined;
  return {
    public: hotPath(
      [tokenEndpoint(deps), jwksEndpoint({ keyring: deps.keyring, jwksMaxAgeSeconds: deps.config.jwksMaxAgeSeconds })],
      { requestLog, log: deps.log, trustedProxyHops: deps.config.trustedProxyHops },
      buildApp(deps, requestLog, readiness, { management: !separate }).callback(),
    ),
    management: separate ? buildManagementApp(deps, requestLog, readiness).callback() : undefined,
  };
}

/** The middleware every Koa listener starts with: request id and access line, nosniff, error rendering. */
function koaApp(deps: Deps, requestLog: RequestLog): Koa {
  // TRUST_PROXY also tells Koa to believe X-Forwarded-Proto/Host; ctx.ip comes from
  // http/client-address.ts, the rule the hot path uses too.
  const app = new Koa({ proxy: deps.config.trustedProxyHops > 0 });
  app.use(requestLogMiddleware(requestLog, deps.config.trustedProxyHops));
  app.use(noSniff);
  app.use(errorHandler(deps.log));
  return app;
}

function mountManagement(router: Router, deps: Deps, readiness: Readiness): void {
  mountHealth(router, { stores: deps.stores, keyring: deps.keyring, readiness });
  mountMetrics(router, { metrics: deps.metrics, metricsToken: deps.config.operations.metricsToken });
}

/** /metrics, /healthz and /readyz alone, for MANAGEMENT_PORT. */
export function buildManagementApp(deps: Deps, requestLog: RequestLog, readiness: Readiness): Koa {
  const app = koaApp(deps, requestLog);
  const router = new Router();
  mountManagement(router, deps, readiness);
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}

/** Every endpoint but the hot path's; `management: false` leaves out what buildManagementApp serves. */
export function buildApp(deps: Deps, requestLog: RequestLog, readiness: Readiness, options: { readonly management: boolean } = { management: true }): Koa {
  const app = koaApp(deps, requestLog);
  const router = new Router();

  mountDiscovery(
    router,
    discoveryDocument(deps.config.issuer, {
      grantTypes: [...deps.grants.keys()],
      tokenEndpointAuthMethods: [...SECRET_AUTH_METHODS, 'private_key_jwt'],
    }),
  );
  const tokenStatus = {
    issuer: deps.config.issuer,
    clientAuthenticator: deps.clientAuthenticator,
    verifyAccessToken: deps.verifyAccessToken,
    revoker: deps.revoker,
    refreshTokens: deps.refreshTokens,
  };
  mountRevocation(router, tokenStatus);
  mountIntrospection(router, tokenStatus);
  const cookies = cookieJar(deps.config.issuer);
  mountAuthorize(router, { authorizer: deps.authorizer, cookies });
  mountLogin(router, { authorizer: deps.authorizer, cookies });
  mountConsent(router, { authorizer: deps.authorizer, cookies });
  mountUserinfo(router, { verifyAccessToken: deps.verifyAccessToken, issuer: deps.config.issuer, users: deps.stores.users, dpop: deps.dpop });
  mountEndSession(router, { stores: deps.stores, keyring: deps.keyring, clock: deps.clock, issuer: deps.config.issuer, revoker: deps.revoker, cookies });
  mountRevocationFeed(router, { feed: deps.revocationFeed, verifyAccessToken: deps.verifyAccessToken, issuer: deps.config.issuer, log: deps.log });
  mountStatusList(router, { statusLists: deps.statusLists });
  if (options.management) mountManagement(router, deps, readiness);
  if (deps.config.operations.adminApi) mountAdmin(router, { ...deps, issuer: deps.config.issuer });

  app.use(
    corsFor([
      '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server',
      ENDPOINT_PATHS.userinfo,
      ENDPOINT_PATHS.revocation,
    ]),
  );
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
