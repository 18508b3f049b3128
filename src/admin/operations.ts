/**
 * The admin API's operations, without HTTP: a JSON body in, a JSON result out. Each one reads its
 * fields and calls the very domain function the matching CLI command calls (clients/registry.ts,
 * accounts/users.ts, keys/key-manager.ts, revocation/revoker.ts), with the admin API as the audit
 * actor; the domain's refusals become `AdminError`s with a status and a stable code
 * (`invalid_request` 400, `not_found` 404, `conflict` 409).
 *
 * Key rotation and revocation of an active key never wait, unlike the CLI: an HTTP request should
 * not hang for minutes. When the `next` key has not been published for the pre-publication time
 * yet, the answer is 409 `conflict` with `Retry-After` (and `retry_after` in the body), the seconds
 * until it has; the caller retries then, or sends `{"unpublished": true}` to make a never-published
 * key sign at once (the answer then carries a `warning`, as the CLI's does).
 */
import { createUser, disableUser, enableUser, UserError } from '../accounts/users.js';
import { resetSecondFactors } from '../accounts/mfa-reset.js';
import type { Actor } from '../audit/audit-log.js';
import { ClientRegistrationError, createClient, deleteClient, describeClient } from '../clients/registry.js';
import type { Core } from '../deps.js';
import { describeKey, revocationAnswer, rotationAnswer } from '../keys/describe.js';
import { KeyImportError, parseImportedKey } from '../keys/import.js';
import type { KeyChangeOptions } from '../keys/key-manager.js';
import { type Activation, KeyLifecycleError, KeyNotReadyError } from '../keys/lifecycle.js';
import { logOutEverywhere } from '../revocation/revoker.js';
import { CONSOLE_CLIENT_ID } from './console.js';
import { USER_LIST_LIMIT } from './openapi.js';
import type { SessionRecord, UserRecord } from '../storage/people.js';
import { SIGNING_ALGS, type SigningAlg } from '../storage/keys.js';

export type AdminErrorCode = 'invalid_request' | 'not_found' | 'conflict';

export class AdminError extends Error {
  override readonly name = 'AdminError';
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: AdminErrorCode,
    readonly description: string,
    /** When the same request can succeed: sent as `Retry-After` and `retry_after` (seconds). */
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
  }
}

export type AdminDeps = Pick<Core, 'config' | 'stores' | 'clock' | 'revoker' | 'securityEvents' | 'keyManager' | 'audit' | 'factors'>;
export type JsonBody = Readonly<Record<string, unknown>>;

export interface AdminResult {
  readonly status: number;
  readonly body: unknown;
}

const ok = (body: unknown, status = 200): AdminResult => ({ status, body });
const invalid = (description: string) => new AdminError(400, 'invalid_request', description);

function optionalString(body: JsonBody, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  return value;
}

function requiredString(body: JsonBody, name: string): string {
  const value = optionalString(body, name);
  if (value === undefined || value === '') throw invalid(`${name} is required`);
  return value;
}

function optionalStrings(body: JsonBody, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw invalid(`${name} must be an array of strings`);
  return value as string[];
}

function optionalBoolean(body: JsonBody, name: string): boolean {
  const value = body[name];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalid(`${name} must be true or false`);
  return value;
}

function optionalStringMap(body: JsonBody, name: string): Record<string, string> | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((item) => typeof item === 'string')) {
    throw invalid(`${name} must be an object of string values`);
  }
  return value as Record<string, string>;
}

function onlyFields(body: JsonBody, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) throw invalid(`unknown field ${JSON.stringify(unknown[0])}; allowed: ${allowed.join(', ')}`);
}

const CLIENT_FIELDS = [
  'name', 'grant_types', 'redirect_uris', 'post_logout_redirect_uris', 'scope', 'resources', 'auth_method',
  'jwks', 'jwks_uri', 'alg', 'skip_consent', 'require_dpop', 'require_dpop_nonce', 'allow_no_pkce',
  'backchannel_logout_uri', 'backchannel_logout_session_required', 'logo_uri',
  'federated_issuer', 'federated_subject', 'federated_jwks_uri', 'federated_audience', 'federated_claims',
];

export async function listClients(deps: AdminDeps): Promise<AdminResult> {
  return ok((await deps.stores.clients.list()).map(describeClient));
}

/** Like `clients create`; the secret (secret methods only) is in this one answer and nowhere else. */
export async function createClientOperation(deps: AdminDeps, body: JsonBody, actor: Actor): Promise<AdminResult> {
  onlyFields(body, CLIENT_FIELDS);
  try {
    const { client, secret } = await createClient(
      { clients: deps.stores.clients, clock: deps.clock, audit: deps.audit },
      {
        name: requiredString(body, 'name'),
        grantTypes: optionalStrings(body, 'grant_types'),
        redirectUris: optionalStrings(body, 'redirect_uris'),
        postLogoutRedirectUris: optionalStrings(body, 'post_logout_redirect_uris'),
        scope: optionalString(body, 'scope'),
        resources: optionalStrings(body, 'resources'),
        authMethod: optionalString(body, 'auth_method'),
        jwks: body.jwks ?? undefined,
        jwksUri: optionalString(body, 'jwks_uri'),
        alg: optionalString(body, 'alg'),
        skipConsent: optionalBoolean(body, 'skip_consent'),
        requireDpop: optionalBoolean(body, 'require_dpop'),
        requireDpopNonce: optionalBoolean(body, 'require_dpop_nonce'),
        allowNoPkce: optionalBoolean(body, 'allow_no_pkce'),
        backchannelLogoutUri: optionalString(body, 'backchannel_logout_uri'),
        backchannelLogoutSessionRequired: optionalBoolean(body, 'backchannel_logout_session_required'),
        federatedIssuer: optionalString(body, 'federated_issuer'),
        federatedSubject: optionalString(body, 'federated_subject'),
        federatedJwksUri: optionalString(body, 'federated_jwks_uri'),
        federatedAudience: optionalString(body, 'federated_audience'),
        federatedClaims: optionalStringMap(body, 'federated_claims'),
        logoUri: optionalString(body, 'logo_uri'),
      },
      actor,
    );
    return ok(secret === undefined ? { client_id: client.clientId } : { client_id: client.clientId, client_secret: secret }, 201);
  } catch (error) {
    if (error instanceof ClientRegistrationError) throw invalid(error.message);
    throw error;
  }
}

export async function deleteClientOperation(deps: AdminDeps, clientId: string, actor: Actor): Promise<AdminResult> {
  // The console's own client (console.ts) is Inkan's to manage: deleting it would lock the operator out of the console.
  if (clientId === CONSOLE_CLIENT_ID && deps.config.operations.adminApi) {
    throw new AdminError(409, 'conflict', `${CONSOLE_CLIENT_ID} is the operator console's own client; Inkan registers it while ADMIN_API=on`);
  }
  if (!(await deleteClient({ clients: deps.stores.clients, revoker: deps.revoker, ssfStreams: deps.stores.ssfStreams, audit: deps.audit }, clientId, actor))) {
    throw new AdminError(404, 'not_found', `no client with client_id ${clientId}`);
  }
  return ok({ deleted: clientId });
}

function userError(error: unknown): never {
  if (error instanceof UserError) {
    if (error.kind === 'exists') throw new AdminError(409, 'conflict', error.message);
    if (error.kind === 'unknown') throw new AdminError(404, 'not_found', error.message);
    throw invalid(error.message);
  }
  throw error;
}

/** Like `users create`; the password comes in the JSON body (over TLS), never in a URL. */
export async function createUserOperation(deps: AdminDeps, body: JsonBody, actor: Actor): Promise<AdminResult> {
  onlyFields(body, ['email', 'name', 'password']);
  const input = { email: requiredString(body, 'email'), name: optionalString(body, 'name'), password: requiredString(body, 'password') };
  const user = await createUser({ users: deps.stores.users, clock: deps.clock, audit: deps.audit }, input, actor).catch(userError);
  return ok({ id: user.id, email: user.email }, 201);
}

export async function disableUserOperation(deps: AdminDeps, body: JsonBody, actor: Actor): Promise<AdminResult> {
  onlyFields(body, ['email']);
  const email = requiredString(body, 'email');
  await disableUser({ users: deps.stores.users, clock: deps.clock, revoker: deps.revoker, audit: deps.audit }, email, actor).catch(userError);
  return ok({ disabled: email });
}

/** Like `users enable`. */
export async function enableUserOperation(deps: AdminDeps, body: JsonBody, actor: Actor): Promise<AdminResult> {
  onlyFields(body, ['email']);
  const email = requiredString(body, 'email');
  await enableUser({ users: deps.stores.users, securityEvents: deps.securityEvents, audit: deps.audit }, email, actor).catch(userError);
  return ok({ enabled: email });
}

/** Like `users mfa reset --email`: removes every second factor of the person and ends their sessions. */
export async function resetMfaOperation(deps: AdminDeps, body: JsonBody, actor: Actor): Promise<AdminResult> {
  onlyFields(body, ['email']);
  const email = requiredString(body, 'email');
  await resetSecondFactors({ users: deps.stores.users, factors: deps.factors, revoker: deps.revoker, audit: deps.audit }, email, actor).catch(userError);
  return ok({ reset: email });
}

export async function listKeys(deps: AdminDeps): Promise<AdminResult> {
  return ok((await deps.keyManager.list()).keys.map(describeKey));
}

/** A key change that promotes the `next` key at once, or 409 saying when it can (see the header comment). */
async function changeKeys<T>(deps: AdminDeps, change: (options: KeyChangeOptions) => Promise<T>): Promise<T> {
  try {
    return await change({ wait: false });
  } catch (error) {
    if (!(error instanceof KeyNotReadyError)) throw error;
    const secondsLeft = error.readyAt === undefined ? deps.keyManager.prePublishSeconds : error.readyAt - deps.clock.nowSeconds();
    const retryAfterSeconds = Math.max(1, secondsLeft);
    throw new AdminError(409, 'conflict', `${error.message}; retry then, or send {"unpublished": true} to make a never-published key sign at once`, retryAfterSeconds);
  }
}

const activation = (body: JsonBody): Activation => (optionalBoolean(body, 'unpublished') ? 'unpublished' : 'published');

export async function rotateKeysOperation(deps: AdminDeps, body: JsonBody, actor: Actor): Promise<AdminResult> {
  onlyFields(body, ['alg', 'unpublished']);
  const alg = optionalString(body, 'alg');
  if (alg !== undefined && !(SIGNING_ALGS as readonly string[]).includes(alg)) throw invalid(`alg must be one of ${SIGNING_ALGS.join(', ')}`);
  const algs = alg === undefined ? SIGNING_ALGS : [alg as SigningAlg];
  const how = activation(body);
  const active = await changeKeys(deps, (options) => deps.keyManager.rotate(algs, { ...options, actor, activation: how }));
  return ok(rotationAnswer(active, how, deps.config.jwksMaxAgeSeconds));
}

export async function revokeKeyOperation(deps: AdminDeps, kid: string, body: JsonBody, actor: Actor): Promise<AdminResult> {
  onlyFields(body, ['unpublished']);
  const how = activation(body);
  try {
    const active = await changeKeys(deps, (options) => deps.keyManager.revoke(kid, { ...options, actor, activation: how }));
    return ok(revocationAnswer(kid, active, how, deps.config.jwksMaxAgeSeconds));
  } catch (error) {
    if (error instanceof KeyLifecycleError) throw new AdminError(404, 'not_found', error.message);
    throw error;
  }
}

/** Like `keys import`: `key` is the PEM text, or a private JWK (as an object or its JSON text). */
export async function importKeyOperation(deps: AdminDeps, body: JsonBody, actor: Actor): Promise<AdminResult> {
  onlyFields(body, ['key']);
  const key = body.key;
  const text = typeof key === 'string' ? key : typeof key === 'object' && key !== null && !Array.isArray(key) ? JSON.stringify(key) : undefined;
  if (text === undefined) throw invalid('key is required: PEM text or a private JWK');
  try {
    const imported = await deps.keyManager.import(parseImportedKey(text), actor);
    return ok({ imported: { kid: imported.kid, alg: imported.alg, status: imported.status } }, 201);
  } catch (error) {
    if (error instanceof KeyImportError) throw invalid(error.message);
    if (error instanceof KeyLifecycleError) throw new AdminError(409, 'conflict', error.message);
    throw error;
  }
}

/** Like `tokens revoke --email`: logs the person out everywhere. */
export async function revokeTokensOperation(deps: AdminDeps, body: JsonBody, actor: Actor): Promise<AdminResult> {
  onlyFields(body, ['email']);
  const email = requiredString(body, 'email');
  const revoked = await logOutEverywhere({ users: deps.stores.users, revoker: deps.revoker, audit: deps.audit }, email, actor);
  if (revoked === undefined) throw new AdminError(404, 'not_found', `no user with the email ${email}`);
  return ok({ revoked });
}


const describeUser = (user: UserRecord) => ({
  id: user.id,
  email: user.email,
  name: user.name,
  disabled_at: user.disabledAt,
  created_at: user.createdAt,
});

/** People whose email contains `query` (every person for none), oldest first, at most USER_LIST_LIMIT. */
export async function listUsers(deps: AdminDeps, query: string | undefined): Promise<AdminResult> {
  return ok((await deps.stores.users.search((query ?? '').trim(), USER_LIST_LIMIT)).map(describeUser));
}

const describeSession = (session: SessionRecord) => ({
  sid: session.id,
  auth_time: session.authTime,
  amr: session.authMethods,
  created_at: session.createdAt,
  expires_at: session.expiresAt,
});

async function userByEmail(deps: AdminDeps, email: string): Promise<UserRecord> {
  const user = await deps.stores.users.findByEmail(email);
  if (user === undefined) throw new AdminError(404, 'not_found', `no user with the email ${email}`);
  return user;
}

/** A person's live login sessions (one per browser or device), newest first. */
export async function listSessionsOperation(deps: AdminDeps, email: string | undefined): Promise<AdminResult> {
  if (email === undefined || email === '') throw invalid('email is required');
  const user = await userByEmail(deps, email);
  return ok({ email: user.email, sessions: (await deps.stores.sessions.listLiveForUser(user.id, deps.clock.nowSeconds())).map(describeSession) });
}

/**
 * Ends one session of a person (one device logged out): the session, its refresh families and every
 * token carrying its `sid`, as end-session does (revoker.endSession). The email must be the
 * session's owner's, so a mistyped sid never ends someone else's session.
 */
export async function endSessionOperation(deps: AdminDeps, body: JsonBody, actor: Actor): Promise<AdminResult> {
  onlyFields(body, ['email', 'sid']);
  const user = await userByEmail(deps, requiredString(body, 'email'));
  const sid = requiredString(body, 'sid');
  const session = await deps.stores.sessions.find(sid);
  if (session === undefined || session.userId !== user.id || session.endedAt !== null) {
    throw new AdminError(404, 'not_found', `${user.email} has no live session ${sid}`);
  }
  const ended = await deps.revoker.endSession(sid, 'admin');
  deps.audit.record({ event: 'session.ended', sub: user.id, sid, refresh_families_ended: ended.familiesEnded }, actor);
  return ok({ ended: sid });
}
