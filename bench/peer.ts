/**
 * The peer for `npm run bench`: panva's oidc-provider configured like Inkan's benchmark set-up
 * (RS256, EdDSA and ES256 keys, JWT access tokens through resource indicators, a client_secret_basic
 * client with client_credentials, a web client with the code and refresh grants), in-memory
 * storage (oidc-provider's default adapter). Run as its own process so the benchmark can pin it to
 * the same core as Inkan.
 *
 * The refresh grant matches Inkan's: rotation on every use (`rotateRefreshToken: true`), reuse
 * detection (oidc-provider revokes the grant when a consumed refresh token comes back), and each
 * answer carries a new refresh token, an EdDSA JWT access token and an EdDSA ID token: two
 * signatures, as Inkan's. What differs: the store is memory, not SQLite (the target is stated
 * against that); the access token's audience is the EdDSA resource server with scope `api` (the
 * peer issues JWT access tokens only for a resource server; Inkan's audience is itself); the ID
 * token has no `at_hash` (one SHA-512 less); and the in-memory store is an LRU of 1,000 entries,
 * so the peer forgets consumed tokens soon (reuse detection stays within that window).
 *
 *   node dist/bench/peer.js <port>   → prints "ready" on stdout
 */
import crypto from 'node:crypto';
import type { Context, Next } from 'koa';
import Provider from 'oidc-provider';
import { PEER_ACCOUNT_ID, PEER_CLIENT, PEER_RESOURCES, PEER_WEB_CLIENT } from './peer-config.js';
import { freshPrivateKey } from '../src/keys/material.js';

const port = Number(process.argv[2] ?? 3100);
const issuer = `http://127.0.0.1:${port}`;

const privateJwk = (key: crypto.KeyObject, alg: string, kid: string) => ({ ...key.export({ format: 'jwk' }), alg, kid, use: 'sig' });

const provider = new Provider(issuer, {
  clients: [
    {
      ...PEER_CLIENT,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: PEER_WEB_CLIENT.client_id,
      client_secret: PEER_WEB_CLIENT.client_secret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [PEER_WEB_CLIENT.redirect_uri],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'EdDSA',
    },
  ],
  jwks: {
    keys: [
      privateJwk(freshPrivateKey('rsa', { modulusLength: 2048 }), 'RS256', 'rs'),
      privateJwk(freshPrivateKey('ed25519'), 'EdDSA', 'ed'),
      privateJwk(freshPrivateKey('ec', { namedCurve: 'P-256' }), 'ES256', 'es'),
    ],
  } as never,
  scopes: ['openid', 'offline_access'],
  // Inkan's driver calls the authorization endpoint /authorize; so does the peer's.
  routes: { authorization: '/authorize' },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
  rotateRefreshToken: true,
  issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }, code: { scopes: Set<string> }) =>
    client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => PEER_RESOURCES.EdDSA,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx: unknown, resource: string) => ({
        scope: 'api',
        audience: resource,
        accessTokenTTL: 900,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: (Object.keys(PEER_RESOURCES) as (keyof typeof PEER_RESOURCES)[]).find((alg) => PEER_RESOURCES[alg] === resource) ?? 'EdDSA' } },
      }),
    },
  },
  // Inkan's lifetimes (access 15 min, ID 1 h, refresh idle 14 days, login 30 days); set, so the
  // peer does not print a notice per default it uses.
  ttl: { ClientCredentials: 900, AccessToken: 900, IdToken: 3600, RefreshToken: 1_209_600, Grant: 2_592_000, Session: 2_592_000, Interaction: 600 },
  enabledJWA: { idTokenSigningAlgValues: ['RS256', 'EdDSA', 'ES256'] } as never,
} as never);

/**
 * Stands in for the login and consent pages (devInteractions are off in production): signs the
 * bench person in and grants `openid offline_access` and the resource's `api` scope, through
 * oidc-provider's interaction API (interactionDetails → Grant → interactionResult).
 */
async function benchInteraction(ctx: Context, next: Next): Promise<void> {
  if (!ctx.path.startsWith('/interaction/')) return next();
  const { params } = await provider.interactionDetails(ctx.req, ctx.res);
  const grant = new provider.Grant({ accountId: PEER_ACCOUNT_ID, clientId: String(params.client_id) });
  grant.addOIDCScope('openid offline_access');
  grant.addResourceScope(PEER_RESOURCES.EdDSA, 'api');
  const grantId = await grant.save();
  const resumeUrl = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: PEER_ACCOUNT_ID }, consent: { grantId } });
  ctx.status = 303;
  ctx.redirect(resumeUrl);
}

provider.use(benchInteraction);
provider.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
