/**
 * The peer for `npm run bench`: panva's oidc-provider configured like Inkan's benchmark set-up
 * (RS256 and EdDSA keys, JWT access tokens through resource indicators, a client_secret_basic
 * client with client_credentials), in-memory storage. Run as its own process so the benchmark
 * can pin it to the same core as Inkan.
 *
 *   node dist/bench/peer.js <port>   → prints "ready" on stdout
 */
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import { PEER_CLIENT, PEER_RESOURCES } from './peer-config.js';

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
  ],
  jwks: {
    keys: [
      privateJwk(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'RS256', 'rs'),
      privateJwk(crypto.generateKeyPairSync('ed25519').privateKey, 'EdDSA', 'ed'),
    ],
  } as never,
  scopes: ['api'],
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
        jwt: { sign: { alg: resource === PEER_RESOURCES.RS256 ? 'RS256' : 'EdDSA' } },
      }),
    },
  },
  ttl: { ClientCredentials: 900 },
  enabledJWA: { idTokenSigningAlgValues: ['RS256', 'EdDSA'] } as never,
} as never);

provider.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
