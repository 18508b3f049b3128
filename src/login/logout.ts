/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), without Koa.
 *  - `id_token_hint`: an ID token Inkan issued (signature and issuer checked; an expired one is
 *    accepted, as the spec asks); its `aud` names the client, and must equal `client_id` if both.
 *  - `post_logout_redirect_uri`: used only when registered for that client (exact match), else an
 *    error page; `state` is passed back to it.
 *  - The session ends at once when the hint names the browser's session (its `sid`) or user;
 *    otherwise the person confirms on a page (a cross-site link cannot sign anyone out). The
 *    confirmation's CSRF token is derived from the session cookie's secret, so only a page served
 *    to this browser can carry it.
 */
import crypto from 'node:crypto';
import { compactVerify } from 'jose';
import type { Clock } from '../clock.js';
import type { Keyring } from '../keys/keyring.js';
import type { ClientRecord } from '../storage/clients.js';
import { SIGNING_ALGS } from '../storage/keys.js';
import type { Stores } from '../storage/stores.js';
import { OAuthError } from '../oauth/errors.js';
import { redirectWith } from '../oauth/redirect-uri.js';
import { findLiveSession } from './sessions.js';
import type { Revoker } from '../revocation/revoker.js';

export interface LogoutDeps {
  readonly stores: Pick<Stores, 'clients' | 'sessions' | 'users'>;
  readonly keyring: Pick<Keyring, 'verificationKeys'>;
  readonly clock: Clock;
  readonly issuer: string;
  readonly revoker: Pick<Revoker, 'endSession'>;
}

export interface LogoutRequest {
  readonly idTokenHint?: string | undefined;
  readonly clientId?: string | undefined;
  readonly postLogoutRedirectUri?: string | undefined;
  readonly state?: string | undefined;
  /** The confirmation form was submitted with this CSRF token. */
  readonly confirmedWithCsrf?: string | undefined;
}

export type LogoutOutcome =
  | { readonly kind: 'error-page'; readonly error: OAuthError }
  | { readonly kind: 'confirm'; readonly csrfToken: string; readonly client: ClientRecord | undefined; readonly hidden: Record<string, string | undefined> }
  | { readonly kind: 'done'; readonly redirect: string | undefined };

export function logoutCsrfToken(sessionSecret: string): string {
  return crypto.createHash('sha256').update(`inkan logout confirmation\0${sessionSecret}`).digest('base64url');
}

/** Constant-time equality of two strings of any length (compares their SHA-256). */
function sameText(a: string, b: string): boolean {
  const digest = (value: string) => crypto.createHash('sha256').update(value).digest();
  return crypto.timingSafeEqual(digest(a), digest(b));
}

interface HintClaims {
  readonly sub?: unknown;
  readonly aud?: unknown;
  readonly sid?: unknown;
  readonly iss?: unknown;
}

async function verifyHint(deps: LogoutDeps, hint: string): Promise<HintClaims | undefined> {
  try {
    const { payload, protectedHeader } = await compactVerify(hint, deps.keyring.verificationKeys(), { algorithms: [...SIGNING_ALGS] });
    if (protectedHeader.typ !== undefined && protectedHeader.typ !== 'JWT') return undefined;
    const claims = JSON.parse(new TextDecoder().decode(payload)) as HintClaims;
    return claims.iss === deps.issuer ? claims : undefined;
  } catch {
    return undefined;
  }
}

export async function handleLogout(deps: LogoutDeps, request: LogoutRequest, sessionSecret: string | undefined): Promise<LogoutOutcome> {
  const bad = (description: string): LogoutOutcome => ({ kind: 'error-page', error: new OAuthError('invalid_request', description) });
  let hint: HintClaims | undefined;
  if (request.idTokenHint !== undefined) {
    hint = await verifyHint(deps, request.idTokenHint);
    if (hint === undefined) return bad('id_token_hint is not an ID token issued by this server');
  }
  const hintAudience = hint === undefined ? undefined : Array.isArray(hint.aud) ? hint.aud[0] : hint.aud;
  if (request.clientId !== undefined && hintAudience !== undefined && request.clientId !== hintAudience) {
    return bad('client_id does not match the audience of id_token_hint');
  }
  const clientId = request.clientId ?? (typeof hintAudience === 'string' ? hintAudience : undefined);
  const client = clientId === undefined ? undefined : await deps.stores.clients.find(clientId);
  if (clientId !== undefined && client === undefined) return bad('the client_id is not registered with this server');
  if (request.postLogoutRedirectUri !== undefined) {
    if (client === undefined) return bad('post_logout_redirect_uri needs client_id or id_token_hint');
    if (!client.postLogoutRedirectUris.includes(request.postLogoutRedirectUri)) {
      return bad('the post_logout_redirect_uri is not registered for this client');
    }
  }
  const redirect =
    request.postLogoutRedirectUri === undefined ? undefined : redirectWith(request.postLogoutRedirectUri, { state: request.state ?? null });

  const live = await findLiveSession({ sessions: deps.stores.sessions, users: deps.stores.users, clock: deps.clock }, sessionSecret);
  if (live === undefined) return { kind: 'done', redirect };

  const hintNamesThisSession = hint !== undefined && (hint.sid === live.session.id || (hint.sid === undefined && hint.sub === live.user.id));
  const confirmed =
    request.confirmedWithCsrf !== undefined &&
    sessionSecret !== undefined &&
    sameText(logoutCsrfToken(sessionSecret), request.confirmedWithCsrf);
  if (!hintNamesThisSession && !confirmed) {
    return {
      kind: 'confirm',
      csrfToken: logoutCsrfToken(sessionSecret!),
      client,
      hidden: { client_id: clientId, post_logout_redirect_uri: request.postLogoutRedirectUri, state: request.state },
    };
  }
  await deps.revoker.endSession(live.session.id);
  return { kind: 'done', redirect };
}
