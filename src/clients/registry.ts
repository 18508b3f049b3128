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
import { TOKEN_EXCHANGE_GRANT } from '../oauth/delegation.js';
import { DEVICE_CODE_GRANT_TYPE } from '../oauth/device-codes.js';
import { LOOPBACK_HOSTS, redirectUriProblem, webUriProblem } from '../oauth/redirect-uri.js';
import { hashSecret, randomSecret } from '../tokens/secrets.js';
import type { ClientAuthMethod, ClientRecord, ClientStore, FederatedCredential } from '../storage/clients.js';
import type { StreamStore } from '../storage/shared-signals.js';
import type { SigningAlg } from '../storage/keys.js';
import { SIGNING_ALGS } from '../storage/keys.js';
import { type Actor, type AuditLog, CLI_ACTOR } from '../audit/audit-log.js';
import type { Revoker } from '../revocation/revoker.js';

export const SUPPORTED_GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT, DEVICE_CODE_GRANT_TYPE] as const;
export const SECRET_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
const AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'federated', 'none'];

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
  /** `federated` clients (federation/): the foreign issuer whose tokens authenticate the client. */
  readonly federatedIssuer?: string;
  /** The exact `sub` of those tokens. */
  readonly federatedSubject?: string;
  /** The issuer's JWK Set, when not found through its discovery document. */
  readonly federatedJwksUri?: string;
  /** What the tokens' `aud` must contain instead of Inkan's issuer. */
  readonly federatedAudience?: string;
  /** Further top-level claims the tokens must carry with exactly these values. */
  readonly federatedClaims?: Readonly<Record<string, string>>;
  /** RFC 7591 §2: the client's logo for the consent page; https only (it loads in people's browsers). */
  readonly logoUri?: string;
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

const MAX_LOGO_URI_LENGTH = 2048;

/**
 * A logo the consent page loads in people's browsers: https only (mixed content, and no plain-http
 * tracking of who signs in), no credentials, no fragment. The page's CSP admits its origin.
 */
function logoUri(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ClientRegistrationError(`--logo-uri ${JSON.stringify(value.slice(0, 200))} is not an absolute URL`);
  }
  if (url.protocol !== 'https:') throw new ClientRegistrationError('--logo-uri must be an https URL');
  if (url.username !== '' || url.password !== '' || value.includes('#')) throw new ClientRegistrationError('--logo-uri must have no credentials and no fragment');
  if (value.length > MAX_LOGO_URI_LENGTH) throw new ClientRegistrationError(`--logo-uri is longer than ${MAX_LOGO_URI_LENGTH} characters`);
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

const MAX_FEDERATED_CLAIMS = 20;
/** Checked by their own rules (federation/federated-assertion.ts); an exact match on them would say nothing or contradict. */
const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function plainText(value: string, what: string, maxLength: number): string {
  if (value === '' || value.length > maxLength || CONTROL_CHARACTERS.test(value)) {
    throw new ClientRegistrationError(`${what} must be 1 to ${maxLength} characters without control characters`);
  }
  return value;
}

/** An issuer identifier (OpenID Connect Discovery §3): https (http only on loopback), no query or fragment; kept exactly as given. */
function federatedIssuer(value: string): string {
  const problem = webUriProblem(value) ?? (new URL(value).search === '' && !value.includes('?') ? undefined : 'must not have a query');
  if (problem !== undefined) throw new ClientRegistrationError(`--federated-issuer ${JSON.stringify(value)} ${problem}`);
  return plainText(value, '--federated-issuer', 2048);
}

function federatedJwksUri(value: string): string {
  const problem = webUriProblem(value);
  if (problem !== undefined) throw new ClientRegistrationError(`--federated-jwks-uri ${JSON.stringify(value)} ${problem}`);
  return plainText(value, '--federated-jwks-uri', 2048);
}

function federatedClaims(claims: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(claims);
  if (entries.length > MAX_FEDERATED_CLAIMS) throw new ClientRegistrationError(`at most ${MAX_FEDERATED_CLAIMS} --federated-claim`);
  for (const [name, value] of entries) {
    plainText(name, 'a --federated-claim name', 100);
    if (typeof value !== 'string') throw new ClientRegistrationError(`--federated-claim ${name} must have a string value`);
    plainText(value, `the --federated-claim ${name} value`, 1024);
    if (RESERVED_CLAIMS.has(name)) {
      throw new ClientRegistrationError(`--federated-claim cannot match ${name}: use --federated-issuer, --federated-subject or --federated-audience (exp, nbf, iat and jti are always checked)`);
    }
  }
  return Object.fromEntries(entries);
}

/** The federation of a `federated` client; every other method refuses the federated options. */
function federation(authMethod: ClientAuthMethod, input: NewClient): FederatedCredential | null {
  const given = [input.federatedIssuer, input.federatedSubject, input.federatedJwksUri, input.federatedAudience, input.federatedClaims].some((value) => value !== undefined);
  if (authMethod !== 'federated') {
    if (given) throw new ClientRegistrationError('the --federated-* options are for --auth-method federated only');
    return null;
  }
  if (input.federatedIssuer === undefined || input.federatedSubject === undefined) {
    throw new ClientRegistrationError('--auth-method federated needs --federated-issuer and --federated-subject');
  }
  if (input.jwks !== undefined || input.jwksUri !== undefined) {
    throw new ClientRegistrationError('a federated client has no keys of its own: give --federated-jwks-uri (the issuer\'s keys), not --jwks-file or --jwks-uri');
  }
  return {
    issuer: federatedIssuer(input.federatedIssuer),
    subject: plainText(input.federatedSubject, '--federated-subject', 1024),
    jwksUri: input.federatedJwksUri === undefined ? null : federatedJwksUri(input.federatedJwksUri),
    audience: input.federatedAudience === undefined ? null : plainText(input.federatedAudience, '--federated-audience', 2048),
    claims: federatedClaims(input.federatedClaims ?? {}),
  };
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
  // RFC 8693 §2.1 leaves client authentication to the deployment: Inkan lets only a client that
  // proves who it is act for someone else (its client_id becomes the token's `act`).
  if (authMethod === 'none' && grantTypes.includes(TOKEN_EXCHANGE_GRANT)) {
    throw new ClientRegistrationError('a public client (auth method none) cannot use token exchange');
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
  const federated = federation(authMethod, input);
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
    federation: federated,
    logoUri: input.logoUri === undefined ? null : logoUri(input.logoUri),
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
    ...(client.federation == null
      ? {}
      : {
          federated_issuer: client.federation.issuer,
          federated_subject: client.federation.subject,
          ...(client.federation.jwksUri === null ? {} : { federated_jwks_uri: client.federation.jwksUri }),
          ...(client.federation.audience === null ? {} : { federated_audience: client.federation.audience }),
          federated_claims: client.federation.claims,
        }),
    ...(client.logoUri == null ? {} : { logo_uri: client.logoUri }),
    created_at: new Date(client.createdAt * 1000).toISOString(),
  };
}
