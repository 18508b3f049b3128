/**
 * The operator console (/admin, with ADMIN_API=on), without HTTP: its own OAuth client, signing an
 * operator in through Inkan itself, and deciding on every request who the operator is. The pages
 * (http/endpoints/console.ts) call the admin API's operations (operations.ts) for everything they
 * change or show, so the console and the JSON API share one implementation.
 *
 * - The client. Like Keycloak's `security-admin-console` and Zitadel's console app, the console is a
 *   client that Inkan registers itself, at start, when ADMIN_API=on: `inkan-console`, public
 *   (token_endpoint_auth_method `none`, so PKCE S256 is required), the authorization_code grant
 *   only, the one redirect URI `<issuer>/admin/callback`, scopes `openid admin`, first-party (no
 *   consent page). A registration left by an older issuer is replaced. Nothing is configured by
 *   hand, and the admin API refuses to delete it (the CLI may; the next start registers it again).
 * - Who is an operator. The admin API honours the `admin` scope only on client_credentials tokens:
 *   a person's token never administers, whatever its scope. The console keeps that rule for
 *   everyone but the people named in ADMIN_OPERATORS: a console token (issued to `inkan-console`,
 *   for a person, with `admin`) counts only while its person is enabled and their email is in that
 *   list, checked on every request. Anyone else is refused after sign-in, and the token they were
 *   issued is revoked at once (their Inkan session, which their other applications use, stays).
 * - The console session is the access token itself, in an HttpOnly, SameSite=Strict cookie that
 *   expires with it: every request checks it as a resource server would (signature, expiry,
 *   revocation, scope, client), so disabling the operator, `tokens revoke`, or the console's own
 *   logout (which ends the Inkan session it came from) ends the console session too.
 * - CSRF: every form carries SHA-256 of a domain-separated prefix and the token (base64url), which
 *   only a page served to the cookie's holder can know; a POST without it is refused (on top of
 *   SameSite=Strict and an Origin check).
 */
import crypto from 'node:crypto';
import type { Actor } from '../audit/audit-log.js';
import { validateNewClient } from '../clients/registry.js';
import type { Core, Deps } from '../deps.js';
import { s256 } from '../oauth/pkce.js';
import { normalizeEmail } from '../storage/people.js';
import { AccessTokenRejected, type IssuedAccessTokenClaims } from '../tokens/issued-access-token.js';
import { ADMIN_SCOPE } from './openapi.js';

export const CONSOLE_CLIENT_ID = 'inkan-console';
export const CONSOLE_SCOPE = `openid ${ADMIN_SCOPE}`;
/** The console's paths, below the issuer's path. */
export const CONSOLE_PATHS = {
  home: '/admin',
  callback: '/admin/callback',
  logout: '/admin/logout',
  clients: '/admin/clients',
  people: '/admin/people',
  sessions: '/admin/people/sessions',
  keys: '/admin/keys',
} as const;

export const consoleRedirectUri = (issuer: string): string => `${issuer.replace(/\/$/, '')}${CONSOLE_PATHS.callback}`;

/**
 * Registers (or re-registers, for a changed issuer) the console's client. Returns false, changing
 * nothing, when the redirect URI cannot be registered (plain http off loopback): the console then
 * stays closed, since its cookie would travel in clear.
 */
export async function ensureConsoleClient(deps: Pick<Core, 'stores' | 'clock'>, issuer: string): Promise<boolean> {
  let wanted;
  try {
    wanted = validateNewClient({
      name: 'Inkan operator console',
      grantTypes: ['authorization_code'],
      redirectUris: [consoleRedirectUri(issuer)],
      scope: CONSOLE_SCOPE,
      authMethod: 'none',
      skipConsent: true,
    });
  } catch {
    return false;
  }
  const existing = await deps.stores.clients.find(CONSOLE_CLIENT_ID);
  const same =
    existing !== undefined &&
    existing.authMethod === 'none' &&
    JSON.stringify([existing.grantTypes, existing.redirectUris, existing.scopes]) === JSON.stringify([wanted.grantTypes, wanted.redirectUris, wanted.scopes]);
  if (same) return true;
  if (existing !== undefined) await deps.stores.clients.delete(CONSOLE_CLIENT_ID);
  try {
    await deps.stores.clients.insert({ ...wanted, clientId: CONSOLE_CLIENT_ID, secretHash: null, createdAt: deps.clock.nowSeconds() });
  } catch (error) {
    // Another instance registered it at the same moment.
    if ((await deps.stores.clients.find(CONSOLE_CLIENT_ID)) === undefined) throw error;
  }
  return true;
}

/** A sign-in under way: `state` and the PKCE verifier (RFC 7636 §4.1), kept in the browser's cookie until the callback. */
export interface ConsoleSignIn {
  readonly state: string;
  readonly codeVerifier: string;
}

export function startConsoleSignIn(issuer: string, authorizationEndpoint: string): { signIn: ConsoleSignIn; location: string } {
  const signIn = { state: crypto.randomBytes(32).toString('base64url'), codeVerifier: crypto.randomBytes(32).toString('base64url') };
  const url = new URL(authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: CONSOLE_CLIENT_ID,
    redirect_uri: consoleRedirectUri(issuer),
    scope: CONSOLE_SCOPE,
    state: signIn.state,
    code_challenge: s256(signIn.codeVerifier),
    code_challenge_method: 'S256',
  }).toString();
  return { signIn, location: url.href };
}

export type ConsoleRefusal = 'signed-out' | 'not-an-operator';

export class ConsoleAccessError extends Error {
  override readonly name = 'ConsoleAccessError';
  constructor(
    readonly reason: ConsoleRefusal,
    description: string,
  ) {
    super(description);
  }
}

export interface Operator {
  readonly sub: string;
  readonly email: string;
  /** The console session: the access token, and what it says. */
  readonly token: string;
  readonly claims: IssuedAccessTokenClaims;
  /** For the audit trail of every change made through the console. */
  readonly actor: Actor;
}

export type ConsoleDeps = Pick<Deps, 'config' | 'stores' | 'clock' | 'grants' | 'verifyAccessToken' | 'revoker'>;

/** The operator a console token stands for; `ConsoleAccessError` when it stands for none. */
export async function consoleOperator(deps: ConsoleDeps, token: string | undefined, origin: Omit<Actor, 'type' | 'id'> = {}): Promise<Operator> {
  if (token === undefined) throw new ConsoleAccessError('signed-out', 'no console session');
  let claims: IssuedAccessTokenClaims;
  try {
    claims = await deps.verifyAccessToken(token, { audience: deps.config.issuer });
  } catch (error) {
    if (error instanceof AccessTokenRejected) throw new ConsoleAccessError('signed-out', `the console session is over (${error.message})`);
    throw error;
  }
  if (claims.client_id !== CONSOLE_CLIENT_ID || claims.sub === claims.client_id || !claims.scope.split(' ').includes(ADMIN_SCOPE)) {
    throw new ConsoleAccessError('signed-out', 'not a console token');
  }
  const user = await deps.stores.users.find(claims.sub);
  if (user === undefined || user.disabledAt !== null || !deps.config.operations.adminOperators.includes(normalizeEmail(user.email))) {
    throw new ConsoleAccessError('not-an-operator', 'this account may not use the operator console (ADMIN_OPERATORS)');
  }
  return { sub: user.id, email: user.email, token, claims, actor: { type: 'admin-console', id: user.id, ...origin } };
}

/**
 * The callback's half of the sign-in: the code is exchanged in-process by the authorization-code
 * grant itself (the one the token endpoint runs, with the same checks: client, redirect URI, PKCE,
 * single use), then the token must stand for an operator. A person who is not one has the token
 * revoked before the refusal.
 */
export async function finishConsoleSignIn(
  deps: ConsoleDeps,
  code: string,
  signIn: ConsoleSignIn,
  origin: { readonly requestId?: string | undefined; readonly address?: string | undefined },
): Promise<Operator> {
  const client = await deps.stores.clients.find(CONSOLE_CLIENT_ID);
  const grant = deps.grants.get('authorization_code');
  if (client === undefined || grant === undefined) throw new ConsoleAccessError('signed-out', 'the console client is not registered');
  const response = await grant.handle({
    grantType: 'authorization_code',
    client,
    params: new Map([
      ['grant_type', 'authorization_code'],
      ['code', code],
      ['redirect_uri', consoleRedirectUri(deps.config.issuer)],
      ['code_verifier', signIn.codeVerifier],
    ]),
    resources: [],
    requestId: origin.requestId,
    clientAddress: origin.address,
  });
  try {
    return await consoleOperator(deps, response.access_token, origin);
  } catch (error) {
    // Only the console token goes: the person's Inkan session (their other applications) stays.
    if (error instanceof ConsoleAccessError) await revokeConsoleToken(deps, response.access_token, { endSession: false });
    throw error;
  }
}

/** Console logout: the Inkan session the operator signed in with ends (and with it every token of it, this one included). */
export async function endConsoleSession(deps: ConsoleDeps, token: string): Promise<void> {
  await revokeConsoleToken(deps, token, { endSession: true });
}

async function revokeConsoleToken(deps: ConsoleDeps, token: string, options: { readonly endSession: boolean }): Promise<void> {
  let claims: IssuedAccessTokenClaims;
  try {
    claims = await deps.verifyAccessToken(token, { audience: deps.config.issuer });
  } catch (error) {
    if (error instanceof AccessTokenRejected) return;
    throw error;
  }
  await deps.revoker.revokeAccessToken({ jti: claims.jti, exp: claims.exp, status: claims.status });
  if (options.endSession && typeof claims.sid === 'string') await deps.revoker.endSession(claims.sid, 'user');
}

const CSRF_CONTEXT = 'inkan-console-csrf\0';

/** The CSRF token of a console session: derived from the token, so it needs no storage and dies with it. */
export function consoleCsrfToken(token: string): string {
  return crypto.createHash('sha256').update(CSRF_CONTEXT + token, 'utf8').digest('base64url');
}

export function consoleCsrfMatches(token: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const expected = Buffer.from(consoleCsrfToken(token), 'utf8');
  const given = Buffer.from(presented, 'utf8');
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}
