/**
 * The route table: every endpoint Inkan serves, once, with its path, its methods and their
 * handlers, its CORS policy, and whether the hot path or Koa answers it (route.ts says what each
 * field means). Nothing else routes by path: the front door (front-door.ts) routes every request
 * by this table and applies its rules (one trailing slash, CORS and preflights, HEAD for GET, 405
 * with Allow); Koa (koa-app.ts) runs the handlers of its rows. To find an endpoint, find its row:
 * the handler's import names its file in endpoints/.
 *
 * The paths that clients find through discovery, and that URLs are built from (discovery, status
 * list URIs, the login pages' redirects, the DPoP `htu`), come from oauth/discovery.ts
 * (ENDPOINT_PATHS); the others are written here only.
 */
import { ADMIN_PREFIX } from '../admin/openapi.js';
import { SECRET_AUTH_METHODS } from '../clients/registry.js';
import type { Deps } from '../deps.js';
import { browserPath, discoveryDocument, ENDPOINT_PATHS } from '../oauth/discovery.js';
import { cookieJar } from './cookies.js';
import { createPages, type Pages } from './page.js';
import { accountEndpoints } from './endpoints/account.js';
import { adminEndpoints } from './endpoints/admin.js';
import { CONSOLE_PATHS } from '../admin/console.js';
import { consoleEndpoints } from './endpoints/console.js';
import { ASSET_PATHS, assetEndpoints } from './endpoints/assets.js';
import { accountPasskeyEndpoints } from './endpoints/account-passkeys.js';
import { authorizeEndpoint } from './endpoints/authorize.js';
import { consentEndpoints } from './endpoints/consent.js';
import { deviceAuthorizationEndpoint } from './endpoints/device-authorization.js';
import { deviceVerificationEndpoints } from './endpoints/device-verification.js';
import { discoveryEndpoint } from './endpoints/discovery.js';
import { endSessionEndpoint } from './endpoints/end-session.js';
import { liveEndpoint, readyEndpoint, type Readiness } from './endpoints/health.js';
import { introspectionEndpoint } from './endpoints/introspection.js';
import { jwksEndpoint } from './endpoints/jwks.js';
import { loginEndpoints } from './endpoints/login.js';
import { metricsEndpoint } from './endpoints/metrics.js';
import { revocationFeedEndpoint } from './endpoints/revocation-feed.js';
import { revocationEndpoint } from './endpoints/revocation.js';
import { statusListEndpoint } from './endpoints/status-list.js';
import { ssfConfigurationEndpoint, ssfConfigurationPath } from './endpoints/ssf-configuration.js';
import { ssfPollEndpoint } from './endpoints/ssf-poll.js';
import { ssfStatusEndpoint } from './endpoints/ssf-status.js';
import { ssfStreamsEndpoint } from './endpoints/ssf-streams.js';
import { ssfVerificationEndpoint } from './endpoints/ssf-verification.js';
import { tokenEndpoint } from './endpoints/token.js';
import { userinfoEndpoint } from './endpoints/userinfo.js';
import type { KoaRoute, Route } from './route.js';

/** Where the account page's script gets the options of a passkey registration. */
const ACCOUNT_PASSKEY_OPTIONS_PATH = `${ENDPOINT_PATHS.account}/passkeys/options`;

export function routeTable(deps: Deps, readiness: Readiness): readonly Route[] {
  const { issuer } = deps.config;
  const cookies = cookieJar(issuer);
  const discovery = discoveryEndpoint(
    discoveryDocument(issuer, { grantTypes: [...deps.grants.keys()], tokenEndpointAuthMethods: [...SECRET_AUTH_METHODS, 'private_key_jwt'] }),
  );
  const tokenStatus = {
    issuer,
    clientAuthenticator: deps.clientAuthenticator,
    verifyAccessToken: deps.verifyAccessToken,
    revoker: deps.revoker,
    refreshTokens: deps.refreshTokens,
  };
  // Every page's brand and language (page.ts).
  const pages = createPages(deps.config.brand);
  const authorize = authorizeEndpoint({ authorizer: deps.authorizer, cookies, pages });
  const assets = assetEndpoints();
  const passkeyScripts = [browserPath(issuer, ASSET_PATHS.webauthnBrowser), browserPath(issuer, ASSET_PATHS.passkeys)];
  const login = loginEndpoints({ authorizer: deps.authorizer, cookies, pages, passkeyScripts });
  const consent = consentEndpoints({ authorizer: deps.authorizer, cookies, pages });
  const accountPasskeys =
    deps.accountPasskeys === undefined
      ? undefined
      : accountPasskeyEndpoints({
          passkeys: deps.accountPasskeys,
          cookies,
          accountPath: browserPath(issuer, ENDPOINT_PATHS.account),
          optionsPath: browserPath(issuer, ACCOUNT_PASSKEY_OPTIONS_PATH),
          scripts: passkeyScripts,
        });
  const account = accountEndpoints({
    account: deps.account,
    authorizer: deps.authorizer,
    cookies,
    pages,
    path: browserPath(issuer, ENDPOINT_PATHS.account),
    sections: accountPasskeys === undefined ? [] : [accountPasskeys.section],
  });
  const device = deviceVerificationEndpoints({ verification: deps.deviceVerification, cookies, pages, path: browserPath(issuer, ENDPOINT_PATHS.deviceVerification) });
  const endSession = endSessionEndpoint({ stores: deps.stores, keyring: deps.keyring, clock: deps.clock, issuer, revoker: deps.revoker, cookies, pages });
  const ssf = { verifyAccessToken: deps.verifyAccessToken, issuer, streams: deps.ssfStreams };
  const userinfo = userinfoEndpoint({ verifyAccessToken: deps.verifyAccessToken, issuer, users: deps.stores.users, dpop: deps.dpop });

  return [
    // On every service-to-service call and every verifier's start: answered on the hot path.
    { path: ENDPOINT_PATHS.token, name: 'the token endpoint', cors: 'open', hot: { POST: tokenEndpoint(deps) } },
    { path: ENDPOINT_PATHS.jwks, name: 'the JWKS endpoint', cors: 'open', hot: { GET: jwksEndpoint({ keyring: deps.keyring, jwksMaxAgeSeconds: deps.config.jwksMaxAgeSeconds }) } },

    // What a single-page app calls from JavaScript, without cookies: open to every origin.
    { path: '/.well-known/openid-configuration', name: 'the discovery endpoint', cors: 'open', koa: { GET: discovery } },
    { path: '/.well-known/oauth-authorization-server', name: 'the discovery endpoint', cors: 'open', koa: { GET: discovery } },
    { path: ENDPOINT_PATHS.userinfo, name: 'the userinfo endpoint', cors: 'open', koa: { GET: userinfo, POST: userinfo } },
    { path: ENDPOINT_PATHS.revocation, name: 'the revocation endpoint', cors: 'open', koa: { POST: revocationEndpoint(tokenStatus) } },
    { path: ENDPOINT_PATHS.introspection, name: 'the introspection endpoint', cors: 'none', koa: { POST: introspectionEndpoint(tokenStatus) } },
    {
      path: ENDPOINT_PATHS.deviceAuthorization,
      name: 'the device authorization endpoint',
      cors: 'open',
      koa: { POST: deviceAuthorizationEndpoint({ deviceAuthorizations: deps.deviceAuthorizations, clientAuthenticator: deps.clientAuthenticator }) },
    },

    // The browser's pages: they carry cookies, so no CORS.
    { path: ENDPOINT_PATHS.authorization, name: 'the authorization endpoint', cors: 'none', koa: { GET: authorize, POST: authorize } },
    { path: ENDPOINT_PATHS.login, name: 'the sign-in page', cors: 'none', koa: { GET: login.page, POST: login.submit } },
    { path: `${ENDPOINT_PATHS.login}/passkey/options`, name: 'the passkey sign-in options', cors: 'none', koa: { POST: login.passkeyOptions } },
    { path: `${ENDPOINT_PATHS.login}/passkey`, name: 'the passkey sign-in', cors: 'none', koa: { POST: login.passkeySubmit } },
    { path: ASSET_PATHS.webauthnBrowser, name: 'a script of the passkey pages', cors: 'none', koa: { GET: assets.webauthnBrowser } },
    { path: ASSET_PATHS.passkeys, name: 'a script of the passkey pages', cors: 'none', koa: { GET: assets.passkeys } },
    { path: ASSET_PATHS.console, name: 'the script of the operator console', cors: 'none', koa: { GET: assets.console } },
    { path: ENDPOINT_PATHS.consent, name: 'the consent page', cors: 'none', koa: { GET: consent.page, POST: consent.submit } },
    { path: ENDPOINT_PATHS.account, name: 'the account page', cors: 'none', koa: { GET: account.page, POST: account.submit } },
    ...(accountPasskeys === undefined
      ? []
      : [{ path: ACCOUNT_PASSKEY_OPTIONS_PATH, name: 'the passkey registration options', cors: 'none' as const, koa: { POST: accountPasskeys.options } }]),
    { path: ENDPOINT_PATHS.deviceVerification, name: 'the device verification page', cors: 'none', koa: { GET: device.page, POST: device.submit } },
    { path: ENDPOINT_PATHS.deviceDone, name: 'the device verification page', cors: 'none', koa: { GET: device.done } },
    { path: ENDPOINT_PATHS.endSession, name: 'the end-session endpoint', cors: 'none', koa: { GET: endSession, POST: endSession } },

    // For resource servers.
    {
      path: ENDPOINT_PATHS.revocationFeed,
      name: 'the revocation feed',
      cors: 'none',
      koa: { GET: revocationFeedEndpoint({ feed: deps.revocationFeed, verifyAccessToken: deps.verifyAccessToken, issuer, log: deps.log }) },
    },
    { path: `${ENDPOINT_PATHS.statusLists}/:listId`, name: 'the status list endpoint', cors: 'none', koa: { GET: statusListEndpoint({ statusLists: deps.statusLists }) } },

    // For Shared Signals receivers (OpenID SSF 1.0): the transmitter's metadata, stream management, poll delivery.
    { path: ssfConfigurationPath(issuer), name: 'the Shared Signals configuration', cors: 'open', koa: { GET: ssfConfigurationEndpoint(issuer) } },
    { path: ENDPOINT_PATHS.ssfStreams, name: 'the Shared Signals stream configuration endpoint', cors: 'none', koa: ssfStreamsEndpoint(ssf) },
    { path: ENDPOINT_PATHS.ssfStatus, name: 'the Shared Signals status endpoint', cors: 'none', koa: ssfStatusEndpoint(ssf) },
    { path: ENDPOINT_PATHS.ssfVerification, name: 'the Shared Signals verification endpoint', cors: 'none', koa: { POST: ssfVerificationEndpoint(ssf) } },
    { path: `${ENDPOINT_PATHS.ssfPoll}/:streamId`, name: 'a Shared Signals poll endpoint', cors: 'none', koa: { POST: ssfPollEndpoint({ ...ssf, transmitter: deps.transmitter }) } },

    // For operators: on the management listener when MANAGEMENT_PORT is set.
    { path: '/healthz', name: 'the health endpoint', cors: 'none', management: true, koa: { GET: liveEndpoint } },
    { path: '/readyz', name: 'the readiness endpoint', cors: 'none', management: true, koa: { GET: readyEndpoint({ stores: deps.stores, keyring: deps.keyring, readiness }) } },
    {
      path: '/metrics',
      name: 'the metrics endpoint',
      cors: 'none',
      management: true,
      koa: { GET: metricsEndpoint({ metrics: deps.metrics, metricsToken: deps.config.operations.metricsToken }) },
    },
    ...(deps.config.operations.adminApi ? [...adminRoutes(deps), ...consoleRoutes(deps, pages)] : []),
  ];
}

/** The operator console (ADMIN_API=on): pages over the admin API's operations (endpoints/console.ts). */
function consoleRoutes(deps: Deps, brandedPages: Pages): Route[] {
  const { issuer } = deps.config;
  const pages = consoleEndpoints({
    console: deps,
    admin: deps,
    pages: brandedPages,
    authorizationEndpoint: `${issuer.replace(/\/$/, '')}${ENDPOINT_PATHS.authorization}`,
    script: browserPath(issuer, ASSET_PATHS.console),
    browserPath: (path) => browserPath(issuer, path),
  });
  const row = (path: string, koa: KoaRoute['koa']): Route => ({ path, name: 'the operator console', cors: 'none', koa });
  return [
    row(CONSOLE_PATHS.home, { GET: pages.home }),
    row(CONSOLE_PATHS.callback, { GET: pages.callback }),
    row(CONSOLE_PATHS.logout, { POST: pages.logout }),
    row(CONSOLE_PATHS.clients, { GET: pages.clients, POST: pages.createClient }),
    row(`${CONSOLE_PATHS.clients}/:clientId/delete`, { POST: pages.deleteClient }),
    row(CONSOLE_PATHS.people, { GET: pages.people, POST: pages.createPerson }),
    row(`${CONSOLE_PATHS.people}/disable`, { POST: pages.disablePerson }),
    row(`${CONSOLE_PATHS.people}/enable`, { POST: pages.enablePerson }),
    row(`${CONSOLE_PATHS.people}/mfa-reset`, { POST: pages.resetMfa }),
    row(CONSOLE_PATHS.sessions, { GET: pages.sessions }),
    row(`${CONSOLE_PATHS.sessions}/revoke`, { POST: pages.endSession }),
    row(`${CONSOLE_PATHS.sessions}/everywhere`, { POST: pages.logOutEverywhere }),
    row(CONSOLE_PATHS.keys, { GET: pages.keys }),
    row(`${CONSOLE_PATHS.keys}/rotate`, { POST: pages.rotateKeys }),
    row(`${CONSOLE_PATHS.keys}/:kid/revoke`, { POST: pages.revokeKey }),
  ];
}

/** The admin API (ADMIN_API=on), documented by admin/openapi.ts. */
function adminRoutes(deps: Deps): Route[] {
  const admin = adminEndpoints({ ...deps, issuer: deps.config.issuer });
  const row = (path: string, koa: KoaRoute['koa']): Route => ({ path: `${ADMIN_PREFIX}${path}`, name: 'the admin API', cors: 'none', koa });
  return [
    row('/openapi.json', { GET: admin.openApi }),
    row('/clients', { GET: admin.listClients, POST: admin.createClient }),
    row('/clients/:clientId', { DELETE: admin.deleteClient }),
    row('/users', { GET: admin.listUsers, POST: admin.createUser }),
    row('/users/sessions', { GET: admin.listSessions }),
    row('/users/sessions/end', { POST: admin.endSession }),
    row('/users/disable', { POST: admin.disableUser }),
    row('/users/enable', { POST: admin.enableUser }),
    row('/users/mfa/reset', { POST: admin.resetMfa }),
    row('/keys', { GET: admin.listKeys }),
    row('/keys/rotate', { POST: admin.rotateKeys }),
    row('/keys/import', { POST: admin.importKey }),
    row('/keys/:kid/revoke', { POST: admin.revokeKey }),
    row('/tokens/revoke', { POST: admin.revokeTokens }),
  ];
}
