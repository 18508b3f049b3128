/**
 * Client registration: validates what an operator registers and stores the client with its secret
 * hashed, and deletes clients. The CLI and the admin API call these functions; they hold no logic
 * of their own. Each change is an audit event.
 */
import crypto from 'node:crypto';
import type { JWK } from 'jose';
import type { Clock } from '../clock.js';
import { parseScope } from '../oauth/scopes.js';
import { isResourceUri } from '../oauth/resources.js';
import { DEVICE_CODE_GRANT_TYPE } from '../oauth/device-codes.js';
import { LOOPBACK_HOSTS, redirectUriProblem, webUriProblem } from '../oauth/redirect-uri.js';
import { hashSecret, randomSecret } from '../tokens/secrets.js';
import type { ClientAuthMethod, ClientRecord, ClientStore } from '../storage/clients.js';
import type { StreamStore } from '../storage/shared-signals.js';
import type { SigningAlg } from '../storage/keys.js';
import { SIGNING_ALGS } from '../storage/keys.js';
import { type Actor, type AuditLog, CLI_ACTOR } from '../audit/audit-log.js';
import type { Revoker } from '../revocation/revoker.js';

export const SUPPORTED_GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token', DEVICE_CODE_GRANT_TYPE] as const;
export const SECRET_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
const AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];

export class ClientRegistrationError extends Error {
  override readonly name = 'ClientRegistrationError';
}

export interface NewClient {
  readonly name: string;
  readonly grantTypes?: readonly string[];
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly scope?: string;
  readonly resources?: readonly string[];
  readonly authMethod?: string;
  readonly jwks?: unknown;
  /** Where a private_key_jwt client publishes its JWK Set (https, or http on a loopback host). */
  readonly jwksUri?: string;
  /** Refuse token requests without a DPoP proof (RFC 9449 §5.2). */
  readonly requireDpop?: boolean;
  /** Require a server-issued nonce in this client's DPoP proofs at the token endpoint (RFC 9449 §8). */
  readonly requireDpopNonce?: boolean;
  readonly alg?: string;
  /** First-party: the consent page is never shown for this client. */
  readonly skipConsent?: boolean;
  /** A legacy confidential client that cannot send PKCE (RFC 9700 §2.1.1 allows it with a nonce); never a public client. */
  readonly allowNoPkce?: boolean;
  /** OpenID Connect Back-Channel Logout 1.0 §2.2: https (http only on a loopback host), no fragment. */
  readonly backchannelLogoutUri?: string;
  /** §2.2: the client requires `sid` in its logout tokens; only with a logout URI. */
  readonly backchannelLogoutSessionRequired?: boolean;
}

export interface CreatedClient {
  readonly client: ClientRecord;
  /** Present only for secret-based methods; shown once, never stored. */
  readonly secret: string | undefined;
}

function redirectUri(value: string, what: string): string {
  const problem = redirectUriProblem(value);
  if (problem !== undefined) throw new ClientRegistrationError(`${what} ${JSON.stringify(value)} ${problem}`);
  return value;
}

const MAX_LOGOUT_URI_LENGTH = 2048;

function backchannelLogoutUri(value: string): string {
  const problem = webUriProblem(value);
  if (problem !== undefined) throw new ClientRegistrationError(`back-channel logout URI ${JSON.stringify(value)} ${problem}`);
  if (value.length > MAX_LOGOUT_URI_LENGTH) throw new ClientRegistrationError(`the back-channel logout URI is longer than ${MAX_LOGOUT_URI_LENGTH} characters`);
  return value;
}

function jwkSet(value: unknown): { keys: JWK[] } {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new ClientRegistrationError('the JWKS must be {"keys": [...]} with at least one key');
  for (const key of keys as JWK[]) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') throw new ClientRegistrationError('every JWKS entry must be a JWK');
    if ('d' in key || 'p' in key || 'k' in key) throw new ClientRegistrationError('the JWKS must hold public keys only');
  }
  return { keys: keys as JWK[] };
}

/** An https URL (http only on a loopback host, for development), without credentials or fragment. */
function jwksUri(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ClientRegistrationError(`--jwks-uri ${JSON.stringify(value)} is not an absolute URL`);
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  if (!secure) throw new ClientRegistrationError('--jwks-uri must be https (http only on localhost)');
  if (url.username !== '' || url.password !== '' || value.includes('#')) throw new ClientRegistrationError('--jwks-uri must have no credentials and no fragment');
  if (value.length > 2048) throw new ClientRegistrationError('--jwks-uri is longer than 2048 characters');
  return value;
}

export function validateNewClient(input: NewClient): Omit<ClientRecord, 'clientId' | 'secretHash' | 'createdAt'> {
  const name = input.name.trim();
  if (name === '' || name.length > 200) throw new ClientRegistrationError('--name must be 1 to 200 characters');
  const grantTypes = [...new Set(input.grantTypes ?? ['client_credentials'])];
  for (const grant of grantTypes) {
    if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(grant)) {
      throw new ClientRegistrationError(`unsupported grant type ${JSON.stringify(grant)}; supported: ${SUPPORTED_GRANT_TYPES.join(', ')}`);
    }
  }
  const authMethod = (input.authMethod ?? 'client_secret_basic') as ClientAuthMethod;
  if (!AUTH_METHODS.includes(authMethod)) {
    throw new ClientRegistrationError(`unsupported auth method ${JSON.stringify(input.authMethod)}; supported: ${AUTH_METHODS.join(', ')}`);
  }
  if (authMethod === 'none' && grantTypes.includes('client_credentials')) {
    throw new ClientRegistrationError('a public client (auth method none) cannot use client_credentials');
  }
  if (authMethod === 'none' && input.allowNoPkce === true) {
    throw new ClientRegistrationError('a public client (auth method none) must use PKCE: --allow-no-pkce is for confidential clients only');
  }
  const redirectUris = (input.redirectUris ?? []).map((uri) => redirectUri(uri, 'redirect URI'));
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw new ClientRegistrationError('the authorization_code grant needs at least one --redirect-uris');
  }
  const alg = (input.alg ?? 'RS256') as SigningAlg;
  if (!SIGNING_ALGS.includes(alg)) throw new ClientRegistrationError(`--alg must be one of ${SIGNING_ALGS.join(', ')}`);
  const resources = [...new Set(input.resources ?? [])];
  for (const resource of resources) {
    if (!isResourceUri(resource)) throw new ClientRegistrationError(`resource ${JSON.stringify(resource)} must be an absolute URI without a fragment`);
  }
  let scopes: string[];
  try {
    scopes = parseScope(input.scope ?? '');
  } catch {
    throw new ClientRegistrationError('--scope holds a character that is not allowed in a scope');
  }
  const jwks = input.jwks === undefined ? null : jwkSet(input.jwks);
  const registeredJwksUri = input.jwksUri === undefined ? null : jwksUri(input.jwksUri);
  if (jwks !== null && registeredJwksUri !== null) throw new ClientRegistrationError('give either --jwks-file or --jwks-uri, not both');
  if (authMethod === 'private_key_jwt' && jwks === null && registeredJwksUri === null) {
    throw new ClientRegistrationError('private_key_jwt needs --jwks-file or --jwks-uri');
  }
  if (input.backchannelLogoutSessionRequired === true && input.backchannelLogoutUri === undefined) {
    throw new ClientRegistrationError('--backchannel-logout-session-required needs --backchannel-logout-uri');
  }
  return {
    name,
    authMethod,
    grantTypes,
    redirectUris,
    postLogoutRedirectUris: (input.postLogoutRedirectUris ?? []).map((uri) => redirectUri(uri, 'post-logout redirect URI')),
    scopes,
    resources,
    alg,
    jwks,
    skipConsent: input.skipConsent === true,
    jwksUri: registeredJwksUri,
    requireDpop: input.requireDpop === true,
    requireDpopNonce: input.requireDpopNonce === true,
    allowNoPkce: input.allowNoPkce === true,
    backchannelLogoutUri: input.backchannelLogoutUri === undefined ? null : backchannelLogoutUri(input.backchannelLogoutUri),
    backchannelLogoutSessionRequired: input.backchannelLogoutSessionRequired === true,
  };
}

export interface RegistryDeps {
  readonly clients: ClientStore;
  readonly clock: Clock;
  readonly audit?: AuditLog;
}

export async function createClient(deps: RegistryDeps, input: NewClient, actor: Actor = CLI_ACTOR): Promise<CreatedClient> {
  const fields = validateNewClient(input);
  const secret = SECRET_AUTH_METHODS.includes(fields.authMethod) ? randomSecret() : undefined;
  const client: ClientRecord = {
    ...fields,
    clientId: crypto.randomUUID(),
    secretHash: secret === undefined ? null : hashSecret(secret),
    createdAt: deps.clock.nowSeconds(),
  };
  await deps.clients.insert(client);
  deps.audit?.record(
    { event: 'client.created', client_id: client.clientId, name: client.name, auth_method: client.authMethod, grant_types: client.grantTypes },
    actor,
  );
  return { client, secret };
}

/**
 * Deletes a client: its refresh families end and its access tokens are revoked (logout.ts) before
 * the registration goes, and its Shared Signals streams go with it (nothing more is pushed to a
 * receiver that no longer exists). Returns false when there is no such client.
 */
export async function deleteClient(
  deps: {
    readonly clients: ClientStore;
    readonly revoker: Pick<Revoker, 'endClient'>;
    readonly ssfStreams: Pick<StreamStore, 'deleteForClient'>;
    readonly audit?: AuditLog;
  },
  clientId: string,
  actor: Actor = CLI_ACTOR,
): Promise<boolean> {
  if ((await deps.clients.find(clientId)) === undefined) return false;
  const familiesEnded = await deps.revoker.endClient(clientId);
  await deps.ssfStreams.deleteForClient(clientId);
  if (!(await deps.clients.delete(clientId))) return false;
  deps.audit?.record({ event: 'client.deleted', client_id: clientId, refresh_families_ended: familiesEnded }, actor);
  return true;
}

/** What `clients list` shows: everything but the secret hash. */
export function describeClient(client: ClientRecord): Record<string, unknown> {
  return {
    client_id: client.clientId,
    name: client.name,
    auth_method: client.authMethod,
    grant_types: client.grantTypes,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    scope: client.scopes.join(' '),
    resources: client.resources,
    alg: client.alg,
    skip_consent: client.skipConsent === true,
    ...(client.jwksUri == null ? {} : { jwks_uri: client.jwksUri }),
    require_dpop: client.requireDpop === true,
    require_dpop_nonce: client.requireDpopNonce === true,
    allow_no_pkce: client.allowNoPkce === true,
    ...(client.backchannelLogoutUri == null ? {} : { backchannel_logout_uri: client.backchannelLogoutUri }),
    backchannel_logout_session_required: client.backchannelLogoutSessionRequired === true,
    created_at: new Date(client.createdAt * 1000).toISOString(),
  };
}
