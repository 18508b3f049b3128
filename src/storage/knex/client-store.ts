/**
 * Registered clients in the `clients` table (migrations 0001, 0002, 0009, 0014, 0016, 0020, 0023): lists and the JWK Set
 * as JSON text, the flags added by later issues as booleans with defaults, so a row written before
 * them still reads.
 */
import type { Knex } from 'knex';
import type { ClientAuthMethod, ClientRecord, ClientStore, FederatedCredential } from '../clients.js';
import type { ChangeNotifier } from '../changes.js';
import type { SigningAlg } from '../keys.js';

interface ClientRow {
  client_id: string;
  name: string;
  secret_hash: string | null;
  auth_method: string;
  grant_types: string;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  scopes: string;
  resources: string;
  alg: string;
  jwks: string | null;
  created_at: number;
  skip_consent: boolean | number;
  jwks_uri: string | null;
  require_dpop: boolean | number;
  require_dpop_nonce: boolean | number;
  allow_no_pkce: boolean | number;
  backchannel_logout_uri: string | null;
  backchannel_logout_session_required: boolean | number;
  federated_issuer: string | null;
  federated_subject: string | null;
  federated_jwks_uri: string | null;
  federated_audience: string | null;
  federated_claims: string | null;
  logo_uri: string | null;
}

function toRow(client: ClientRecord): ClientRow {
  return {
    client_id: client.clientId,
    name: client.name,
    secret_hash: client.secretHash,
    auth_method: client.authMethod,
    grant_types: JSON.stringify(client.grantTypes),
    redirect_uris: JSON.stringify(client.redirectUris),
    post_logout_redirect_uris: JSON.stringify(client.postLogoutRedirectUris),
    scopes: JSON.stringify(client.scopes),
    resources: JSON.stringify(client.resources),
    alg: client.alg,
    jwks: client.jwks === null ? null : JSON.stringify(client.jwks),
    created_at: client.createdAt,
    skip_consent: client.skipConsent ?? false,
    jwks_uri: client.jwksUri ?? null,
    require_dpop: client.requireDpop ?? false,
    require_dpop_nonce: client.requireDpopNonce ?? false,
    allow_no_pkce: client.allowNoPkce ?? false,
    backchannel_logout_uri: client.backchannelLogoutUri ?? null,
    backchannel_logout_session_required: client.backchannelLogoutSessionRequired ?? false,
    federated_issuer: client.federation?.issuer ?? null,
    federated_subject: client.federation?.subject ?? null,
    federated_jwks_uri: client.federation?.jwksUri ?? null,
    federated_audience: client.federation?.audience ?? null,
    federated_claims: client.federation == null ? null : JSON.stringify(client.federation.claims),
    logo_uri: client.logoUri ?? null,
  };
}

function fromRow(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    name: row.name,
    secretHash: row.secret_hash,
    authMethod: row.auth_method as ClientAuthMethod,
    grantTypes: JSON.parse(row.grant_types) as string[],
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    scopes: JSON.parse(row.scopes) as string[],
    resources: JSON.parse(row.resources) as string[],
    alg: row.alg as SigningAlg,
    jwks: row.jwks === null ? null : (JSON.parse(row.jwks) as ClientRecord['jwks']),
    createdAt: Number(row.created_at),
    skipConsent: Boolean(row.skip_consent),
    jwksUri: row.jwks_uri ?? null,
    requireDpop: Boolean(row.require_dpop),
    requireDpopNonce: Boolean(row.require_dpop_nonce),
    allowNoPkce: Boolean(row.allow_no_pkce),
    backchannelLogoutUri: row.backchannel_logout_uri ?? null,
    backchannelLogoutSessionRequired: Boolean(row.backchannel_logout_session_required),
    federation: federationOf(row),
    logoUri: row.logo_uri ?? null,
  };
}

function federationOf(row: ClientRow): FederatedCredential | null {
  if (row.federated_issuer == null || row.federated_subject == null) return null;
  return {
    issuer: row.federated_issuer,
    subject: row.federated_subject,
    jwksUri: row.federated_jwks_uri ?? null,
    audience: row.federated_audience ?? null,
    claims: row.federated_claims == null ? {} : (JSON.parse(row.federated_claims) as Record<string, string>),
  };
}

export function knexClientStore(db: Knex, changes: Pick<ChangeNotifier, 'publish'>): ClientStore {
  return {
    async insert(client) {
      await db<ClientRow>('clients').insert(toRow(client));
    },
    async find(clientId) {
      const row = await db<ClientRow>('clients').where({ client_id: clientId }).first();
      return row === undefined ? undefined : fromRow(row);
    },
    async list() {
      const rows = await db<ClientRow>('clients').orderBy('created_at').orderBy('client_id');
      return rows.map(fromRow);
    },
    async delete(clientId) {
      const deleted = (await db<ClientRow>('clients').where({ client_id: clientId }).delete()) > 0;
      // Every process's client cache (client-cache.ts) drops it now, not at the entry's expiry.
      if (deleted) await changes.publish('clients', clientId);
      return deleted;
    },
  };
}
