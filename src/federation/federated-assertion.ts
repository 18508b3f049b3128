/**
 * Federated workload credentials: a `federated` client (no secret, no key of its own) authenticates
 * at every endpoint that authenticates clients with a JWT its platform already gives it — a
 * Kubernetes service-account token, a GitHub Actions OIDC token — sent as an RFC 7523 §2.2 client
 * assertion (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`,
 * `client_id` naming the client). Rules, in order, every failure `invalid_client` (401) whose
 * description names the failed rule and never repeats the token:
 *  1. `alg` is one of ASSERTION_ALGS — asymmetric only: never `none`, never HS* (a MAC "keyed"
 *     with a public key is the classic confusion attack);
 *  2. a key of the issuer fits the header (kid when given, key type/curve for the alg); the keys
 *     come from the issuer's discovery document or the registered JWKS URI (issuer-keys.ts), and a
 *     kid the cached set lacks refetches it at most once per cooldown;
 *  3. the signature; `iss` = the registered issuer and `sub` = the registered subject, exactly
 *     (RFC 7523 §3 items 1–2); `aud` contains the registered audience, by default Inkan's issuer
 *     identifier (§3 item 3: the token was minted for Inkan; an `aud` array is allowed, since
 *     platforms such as Kubernetes always send one);
 *  4. `exp` present and not passed, `nbf` not in the future, `iat` not in the future, each with
 *     CLOCK_SKEW seconds of tolerance (config.clockSkewSeconds; §3 items 4–6);
 *  5. short-lived: `exp` at most MAX_FEDERATED_TOKEN_LIFETIME_SECONDS after `iat` (or after now,
 *     without `iat`; `iat` itself is at most CLOCK_SKEW ahead, by rule 4). One hour: a Kubernetes projected token's default `expirationSeconds`, and
 *     far longer than a GitHub Actions token; a longer-lived token is a credential to store, which
 *     is what federation is meant to avoid;
 *  6. every registered claim (`--federated-claim name=value`) present with exactly that string;
 *  7. `jti`, when present (§3 item 7 leaves it optional; Kubernetes ≥ 1.29 and GitHub send one),
 *     never seen before from this issuer (storage/used-jtis.ts, shared by every instance; kept
 *     until the token's `exp` plus the skew). A workload therefore uses each platform token once,
 *     and keeps the Inkan access token it gets for that token's lifetime.
 * Each outcome is an audit line: `client.federated_authenticated` or `client.federated_refused`
 * with the reason (the same description the client gets).
 */
import { decodeProtectedHeader, errors, importJWK, jwtVerify, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { Clock } from '../clock.js';
import type { AuditLog, RequestOrigin } from '../audit/audit-log.js';
import type { ClientRecord, FederatedCredential } from '../storage/clients.js';
import { usedJtiKey, type UsedJtiStore } from '../storage/used-jtis.js';
import { ASSERTION_ALGS, keyFitsAlg } from '../oauth/client-assertion.js';
import type { FederatedAssertionVerifier } from '../oauth/client-authentication.js';
import { invalidClient, OAuthError } from '../oauth/errors.js';
import { RemoteDocumentError } from '../clients/remote-documents.js';
import { MAX_CLIENT_JTI_LENGTH } from '@inkan/verifier/protocol';
import type { IssuerKeySource } from './issuer-keys.js';

export const MAX_FEDERATED_TOKEN_LIFETIME_SECONDS = 3600;
const MAX_CANDIDATE_KEYS = 5;

export interface FederatedAssertionDeps {
  /** Inkan's issuer identifier: the default audience. */
  readonly issuer: string;
  readonly clock: Clock;
  /** CLOCK_SKEW: tolerance for `exp`, `nbf` and `iat`. */
  readonly clockSkewSeconds: number;
  readonly keys: IssuerKeySource;
  readonly usedJtis: Pick<UsedJtiStore, 'use'>;
  readonly audit?: AuditLog;
}

function describeFailure(error: unknown, audience: string): string {
  if (error instanceof errors.JWTExpired) return 'the federated token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `the federated token has no ${error.claim}`;
    if (error.claim === 'iss') return 'the federated token iss is not the registered issuer';
    if (error.claim === 'sub') return 'the federated token sub is not the registered subject';
    if (error.claim === 'aud') return `the federated token aud does not contain ${audience}`;
    if (error.claim === 'nbf') return 'the federated token is not valid yet (nbf)';
    return `the federated token ${error.claim} claim is invalid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the federated token signature does not verify';
  return 'the federated token is invalid';
}

export function federatedAssertionVerifier(deps: FederatedAssertionDeps): FederatedAssertionVerifier {
  const importKey = (jwk: JWK, alg: string): Promise<CryptoKey | Uint8Array> => {
    // Only the key's own members: its alg/use/key_ops were checked by keyFitsAlg.
    const { alg: _alg, use: _use, key_ops: _ops, ext: _ext, ...members } = jwk;
    return importJWK(members, alg) as Promise<CryptoKey | Uint8Array>;
  };

  async function candidates(federation: FederatedCredential, alg: string, kid: string | undefined): Promise<JWK[]> {
    const select = (keys: readonly JWK[]) => keys.filter((key) => (kid === undefined || key.kid === kid) && keyFitsAlg(key, alg));
    try {
      let found = select(await deps.keys.keys(federation));
      if (found.length === 0) found = select(await deps.keys.keys(federation, { refresh: true }));
      return found.slice(0, MAX_CANDIDATE_KEYS);
    } catch (error) {
      const why = error instanceof RemoteDocumentError ? `: ${error.message}` : '';
      throw invalidClient(`the federated issuer's keys could not be fetched${why}`, error);
    }
  }

  /** Rules 1–7; returns the verified claims. */
  async function check(federation: FederatedCredential, assertion: string): Promise<JWTPayload> {
    let header;
    try {
      header = decodeProtectedHeader(assertion);
    } catch (error) {
      throw invalidClient('the federated token is not a JWS', error);
    }
    const alg = header.alg;
    if (typeof alg !== 'string' || !(ASSERTION_ALGS as readonly string[]).includes(alg)) {
      throw invalidClient(`the federated token's alg is not allowed; allowed: ${ASSERTION_ALGS.join(', ')}`);
    }
    if (header.kid !== undefined && typeof header.kid !== 'string') throw invalidClient('the federated token kid is not a string');
    const keys = await candidates(federation, alg, header.kid);
    if (keys.length === 0) throw invalidClient("no key of the federated issuer's JWK Set matches the token");

    const now = deps.clock.nowSeconds();
    const audience = federation.audience ?? deps.issuer;
    let payload: JWTPayload | undefined;
    let lastError: unknown;
    for (const jwk of keys) {
      try {
        ({ payload } = await jwtVerify(assertion, await importKey(jwk, alg), {
          algorithms: [alg],
          issuer: federation.issuer,
          subject: federation.subject,
          audience,
          requiredClaims: ['exp'],
          clockTolerance: deps.clockSkewSeconds,
          currentDate: new Date(now * 1000),
        }));
        break;
      } catch (error) {
        lastError = error;
        // Another candidate may hold the right key; anything but a bad signature is final.
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    if (payload === undefined) throw invalidClient(describeFailure(lastError, audience), lastError);

    const exp = payload.exp!;
    if (payload.iat !== undefined && payload.iat > now + deps.clockSkewSeconds) throw invalidClient('the federated token was issued in the future (iat)');
    // Measured on the issuer's clock (iat), so a full-hour token from a clock running ahead within
    // the skew still passes; without iat, from now.
    if (exp - (payload.iat ?? now) > MAX_FEDERATED_TOKEN_LIFETIME_SECONDS) {
      throw invalidClient(`the federated token lives longer than ${MAX_FEDERATED_TOKEN_LIFETIME_SECONDS} seconds (exp - iat)`);
    }
    for (const [name, value] of Object.entries(federation.claims)) {
      if (payload[name] !== value) throw invalidClient(`the federated token ${name} claim is not the registered value`);
    }
    const jti = payload.jti;
    if (jti !== undefined) {
      if (typeof jti !== 'string' || jti === '' || jti.length > MAX_CLIENT_JTI_LENGTH) throw invalidClient('the federated token jti is invalid');
      if (!(await deps.usedJtis.use(usedJtiKey('federated_token', federation.issuer, jti), exp + deps.clockSkewSeconds))) {
        throw invalidClient('the federated token was already used (its jti was seen before)');
      }
    }
    return payload;
  }

  return {
    async verify(client, assertion, origin = {}) {
      const federation = client.federation;
      if (client.authMethod !== 'federated' || federation == null) throw invalidClient(`this client is registered for ${client.authMethod}`);
      const actor = { type: 'client' as const, id: client.clientId, requestId: origin.requestId, address: origin.address };
      let payload: JWTPayload;
      try {
        payload = await check(federation, assertion);
      } catch (error) {
        const reason = error instanceof OAuthError ? error.description : 'the federated token could not be checked';
        deps.audit?.record({ event: 'client.federated_refused', client_id: client.clientId, issuer: federation.issuer, reason }, actor);
        throw error;
      }
      deps.audit?.record(
        {
          event: 'client.federated_authenticated',
          client_id: client.clientId,
          issuer: federation.issuer,
          sub: federation.subject,
          token_jti: typeof payload.jti === 'string' ? payload.jti : undefined,
        },
        actor,
      );
    },
  };
}
