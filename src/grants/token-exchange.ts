/**
 * OAuth 2.0 Token Exchange (RFC 8693): a client registered for the grant trades an Inkan access
 * token (the subject token) for a narrower one to call a downstream API on the subject's behalf.
 * The token endpoint has already authenticated the client and checked its registration.
 *
 * The request (§2.1): `subject_token` and `subject_token_type`, which must be
 * `urn:ietf:params:oauth:token-type:access_token`: Inkan exchanges only its own access tokens, and
 * `requested_token_type`, when given, must be that type too (Inkan issues nothing else here);
 * optionally `actor_token` with its `actor_token_type` (§2.1: each only with the other).
 * `resource` (RFC 8707) and `audience` (§2.1, may repeat) name the target; every one must be a
 * resource the client is registered with (invalid_target, §2.2.2), and together they become the
 * token's `aud` (none: the issuer, as for every grant).
 *
 * Both tokens are checked as Inkan checks any of its access tokens (tokens/issued-access-token.ts):
 * Inkan's published keys and algs, `typ: at+jwt`, Inkan's `iss`, expiry, and revocation records
 * synced for the call. Then policy:
 * - A subject token restricted to a resource server's audience may be exchanged only by a client
 *   it is for (oauth/resources.ts `isTokenFor`: the client it was issued to, or a client registered
 *   with one of its audiences as a resource); one whose audience is Inkan itself (no resource was
 *   asked for) by any client registered for the grant.
 * - An actor token must have been issued to the exchanging client: it proves who acts through it.
 * - A token bound to a DPoP key (`cnf.jkt`, RFC 9449) is exchanged only with a proof of that key,
 *   as a bound refresh token is refreshed (invalid_dpop_proof).
 * - The actor (the actor token's subject, else the client) must be the party a subject token's
 *   `may_act` names (§4.4, oauth/delegation.ts).
 * Errors: §2.2.2 answers invalid_request for a bad request and for a subject or actor token that
 * is invalid or unacceptable by policy; Inkan's operator contract makes an invalid, expired,
 * revoked or foreign token `invalid_grant` instead (RFC 6749 §5.2: the grant presented is
 * "invalid, expired, revoked"), and Inkan keeps policy refusals of a token with them, so one code
 * says "this token cannot be exchanged here". Malformed requests stay invalid_request.
 *
 * The issued token (§2.2.1, RFC 9068) keeps the subject's `sub` and its login's `sid`,
 * `grant_id`, `auth_time`, `acr` and `amr`, so that ending the person, the session or the grant
 * (revocation/revoker.ts) covers it as it covers the subject token, in introspection, the feed and
 * the status lists alike; its `client_id` is the exchanging client's, `act` names the actor (§4.1,
 * nested over the subject token's own `act`), `aud` the target, and `scope` is within both the
 * subject token's and the client's (their intersection when none is asked for; invalid_scope for
 * anything beyond, or when they share nothing: RFC 6749 §3.3). It expires no later than the
 * subject token (nor the actor token). No refresh token is issued. With a DPoP proof it is bound
 * to the proof's key.
 */
import { OAuthError } from '../oauth/errors.js';
import { ACCESS_TOKEN_TYPE, actClaim, mayActPermits, TOKEN_EXCHANGE_GRANT, type Actor } from '../oauth/delegation.js';
import { audienceFor, audiencesOf, isTokenFor } from '../oauth/resources.js';
import { grantScopes, parseScope } from '../oauth/scopes.js';
import { issueAccessToken, type AccessTokenDeps } from '../tokens/access-token.js';
import { AccessTokenRejected, type AccessTokenRejection, type IssuedAccessTokenClaims, type IssuedAccessTokenVerifier } from '../tokens/issued-access-token.js';
import type { IssuanceObserver } from '../audit/token-issuance.js';
import type { ClientRecord } from '../storage/clients.js';
import type { Grant, TokenRequest, TokenResponse } from './grant.js';

export interface TokenExchangeGrantDeps {
  readonly tokens: AccessTokenDeps;
  /** Inkan's one check of its own access tokens, revocation records included. */
  readonly verifyAccessToken: IssuedAccessTokenVerifier;
  readonly observer?: IssuanceObserver;
}

type Presented = 'subject' | 'actor';

const REJECTIONS: Readonly<Record<AccessTokenRejection, string>> = {
  invalid: 'is invalid',
  expired: 'has expired',
  revoked: 'was revoked',
};

export function tokenExchangeGrant(deps: TokenExchangeGrantDeps): Grant {
  const { issuer } = deps.tokens;

  /** The presented token's claims once it checks out as a live Inkan access token; invalid_grant otherwise. */
  async function verified(token: string, which: Presented): Promise<IssuedAccessTokenClaims> {
    try {
      return await deps.verifyAccessToken(token);
    } catch (error) {
      if (error instanceof AccessTokenRejected) throw new OAuthError('invalid_grant', `the ${which} token ${REJECTIONS[error.reason]}`, { cause: error });
      throw error;
    }
  }

  return {
    grantType: TOKEN_EXCHANGE_GRANT,
    async handle({ client, params, resources, audiences = [], requestId, clientAddress, dpop }: TokenRequest): Promise<TokenResponse> {
      const request = exchangeRequest(params);
      const audience = exchangeAudience(resources, audiences, client, issuer);
      const subject = await verified(request.subjectToken, 'subject');
      const actorToken = request.actorToken === undefined ? undefined : await verified(request.actorToken, 'actor');
      requireProofOfPossession(subject, dpop, 'subject');
      if (actorToken !== undefined) requireProofOfPossession(actorToken, dpop, 'actor');
      if (!isTokenFor(client, subject) && !audiencesOf(subject.aud).includes(issuer)) {
        throw new OAuthError('invalid_grant', 'the subject token is meant for another resource server than this client');
      }
      if (actorToken !== undefined && actorToken.client_id !== client.clientId) {
        throw new OAuthError('invalid_grant', 'the actor token was not issued to this client');
      }
      const actor: Actor = { sub: actorToken?.sub ?? client.clientId, iss: issuer };
      if (!mayActPermits(subject.may_act, actor)) throw new OAuthError('invalid_grant', 'the subject token does not allow this actor to act for its subject (may_act)');
      const subjectScopes = parseScope(subject.scope);
      const common = subjectScopes.filter((scope) => client.scopes.includes(scope));
      const scopes = grantScopes(params.get('scope'), common, common, (quoted) => `the scope ${quoted} is not in both the subject token's scope and the client's`);
      if (scopes.length === 0) throw new OAuthError('invalid_scope', 'the subject token and the client have no scope in common');
      const act = actClaim(actor, subject.act);
      const issued = issueAccessToken(deps.tokens, {
        subject: subject.sub,
        client,
        scopes,
        audience,
        notAfter: Math.min(subject.exp, actorToken?.exp ?? Infinity),
        extraClaims: {
          act,
          sid: subject.sid,
          grant_id: subject.grant_id,
          auth_time: subject.auth_time,
          acr: subject.acr,
          amr: subject.amr,
          cnf: dpop === undefined ? undefined : { jkt: dpop.jkt },
        },
      });
      deps.observer?.tokenIssued({
        grantType: TOKEN_EXCHANGE_GRANT,
        client,
        sub: subject.sub,
        jti: issued.jti,
        requestId,
        clientAddress,
        delegation: { actor: act.sub, subjectClientId: subject.client_id, subjectJti: subject.jti },
      });
      return {
        access_token: issued.token,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: dpop === undefined ? 'Bearer' : 'DPoP',
        expires_in: issued.expiresIn,
        scope: issued.scope,
      };
    },
  };
}

interface ExchangeRequest {
  readonly subjectToken: string;
  readonly actorToken: string | undefined;
}

/** The §2.1 parameters, or invalid_request (§2.2.2) for a missing, unpaired or unsupported one. */
function exchangeRequest(params: ReadonlyMap<string, string>): ExchangeRequest {
  const subjectToken = params.get('subject_token');
  if (subjectToken === undefined) throw new OAuthError('invalid_request', 'subject_token is required');
  tokenType(params, 'subject_token_type', true);
  const actorToken = params.get('actor_token');
  tokenType(params, 'actor_token_type', actorToken !== undefined);
  const requested = params.get('requested_token_type');
  if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) {
    throw new OAuthError('invalid_request', `requested_token_type must be ${ACCESS_TOKEN_TYPE}: Inkan issues only access tokens by exchange`);
  }
  return { subjectToken, actorToken };
}

/** A `*_token_type` is present exactly when its token is, and names an Inkan access token. */
function tokenType(params: ReadonlyMap<string, string>, name: 'subject_token_type' | 'actor_token_type', expected: boolean): void {
  const value = params.get(name);
  if (value === undefined) {
    if (expected) throw new OAuthError('invalid_request', `${name} is required`);
    return;
  }
  if (!expected) throw new OAuthError('invalid_request', `${name} is given without actor_token`);
  if (value !== ACCESS_TOKEN_TYPE) {
    throw new OAuthError('invalid_request', `${name} must be ${ACCESS_TOKEN_TYPE}: Inkan exchanges only its own access tokens`);
  }
}

/** `resource` and `audience` together: each one a resource of the client (invalid_target, §2.2.2). */
function exchangeAudience(resources: readonly string[], audiences: readonly string[], client: ClientRecord, issuer: string): string | string[] {
  for (const audience of audiences) {
    if (!client.resources.includes(audience)) {
      throw new OAuthError('invalid_target', `the client may not request the audience ${JSON.stringify(audience)}`);
    }
  }
  return audienceFor([...resources, ...audiences], client.resources, issuer);
}

/** RFC 9449: a token bound to a key (`cnf.jkt`) is presented only with a proof of that key. */
function requireProofOfPossession(token: IssuedAccessTokenClaims, dpop: TokenRequest['dpop'], which: Presented): void {
  if (token.cnf === undefined) return;
  const jkt = (token.cnf as { jkt?: unknown } | null)?.jkt;
  if (dpop === undefined) throw new OAuthError('invalid_dpop_proof', `the ${which} token is bound to a DPoP key: send a DPoP proof of that key`);
  if (typeof jkt !== 'string' || dpop.jkt !== jkt) {
    throw new OAuthError('invalid_dpop_proof', `the DPoP proof is signed by another key than the one the ${which} token is bound to`);
  }
}
