/**
 * For the tests that call a grant directly (test/grants/): a client registered through the
 * registry (clients/registry.ts, what `clients create` calls), a `TokenRequest` as the token
 * endpoint hands it to a grant once the client is authenticated, the grant's answer (its tokens
 * recorded for the secret scan), the exact OAuthError of a refusal, a token's claims once its
 * signature is checked against the keyring's published keys, and the dependencies of a person's
 * grant as deps.ts gives them, for a test that builds the grant around a refresh domain of its own.
 */
import { jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { expect } from 'vitest';
import { createClient, type NewClient } from '../../src/clients/registry.js';
import type { Deps } from '../../src/deps.js';
import type { TokenRequest, TokenResponse } from '../../src/grants/grant.js';
import type { Clock } from '../../src/clock.js';
import { OAuthError, type OAuthErrorCode } from '../../src/oauth/errors.js';
import type { ClientRecord } from '../../src/storage/clients.js';
import { refusal } from './deps.js';
import { recordTokenResponse } from './secrets.js';

export async function registeredClient(deps: Pick<Deps, 'stores' | 'clock'>, input: NewClient): Promise<ClientRecord> {
  return (await createClient({ clients: deps.stores.clients, clock: deps.clock }, input)).client;
}

/** A parsed token request; a parameter given as undefined is left out. */
export function tokenRequest(
  grantType: string,
  client: ClientRecord,
  params: Record<string, string | undefined>,
  extra: Partial<Pick<TokenRequest, 'resources' | 'dpop'>> = {},
): TokenRequest {
  const present = Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return { grantType, client, params: new Map(present), resources: [], ...extra };
}

/** The registered grant of the request's grant_type answers it, as the token endpoint would ask it. */
export async function exchange(deps: Pick<Deps, 'grants'>, request: TokenRequest): Promise<TokenResponse> {
  const grant = deps.grants.get(request.grantType);
  if (grant === undefined) throw new Error(`no grant is registered for ${request.grantType}`);
  const response = await grant.handle(request);
  recordTokenResponse(response);
  return response;
}

/**
 * The answer of a grant that serves a person (grants/person-tokens.ts) with every token in it: a
 * Bearer access token of the configured lifetime, an ID token and a refresh token.
 */
export function fullPersonAnswer(deps: Pick<Deps, 'config'>, scope: string): TokenResponse {
  return {
    access_token: expect.any(String),
    token_type: 'Bearer',
    expires_in: deps.config.accessTokenTtlSeconds,
    scope,
    id_token: expect.any(String),
    refresh_token: expect.any(String),
  };
}

/** Fails unless `promise` rejects with exactly this OAuthError code and public description. */
export async function expectOAuthError(promise: Promise<unknown>, code: OAuthErrorCode, description: string): Promise<void> {
  const error = await refusal(promise, OAuthError);
  expect({ code: error.code, description: error.description }).toEqual({ code, description });
}

export interface VerifiedToken {
  readonly header: ProtectedHeaderParameters;
  readonly payload: JWTPayload & Record<string, unknown>;
}

/** The token's header and claims, once its signature, issuer, `typ` and lifetime check out at the test's time. */
export async function verifiedToken(deps: Pick<Deps, 'keyring' | 'clock' | 'config'>, token: string, typ: 'at+jwt' | 'JWT'): Promise<VerifiedToken> {
  const { protectedHeader, payload } = await jwtVerify(token, deps.keyring.verificationKeys(), {
    issuer: deps.config.issuer,
    typ,
    currentDate: new Date(deps.clock.nowSeconds() * 1000),
  });
  return { header: protectedHeader, payload };
}

/** What the code and device grants get from deps.ts, but the refresh domain, which the caller adds. */
export function personGrantDeps(deps: Deps, clock: Clock) {
  return {
    tokens: { keyring: deps.keyring, clock, issuer: deps.config.issuer, accessTokenTtlSeconds: deps.config.accessTokenTtlSeconds, statusList: deps.statusLists },
    idTokens: { keyring: deps.keyring, clock, issuer: deps.config.issuer, idTokenTtlSeconds: deps.config.idTokenTtlSeconds },
    clock,
    stores: deps.stores,
    revoker: deps.revoker,
    revocations: deps.revocations,
  };
}
