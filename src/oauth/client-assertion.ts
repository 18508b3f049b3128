/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID Connect Core §9): the
 * client signs a short JWT with a private key whose public half it registered. Rules, in order,
 * every failure `invalid_client` (401):
 *  1. the client is registered for private_key_jwt;
 *  2. `alg` is one of ASSERTION_ALGS — asymmetric only: never `none`, never HS* (an HS256 MAC
 *     "keyed" with a public key is the classic confusion attack); `EdDSA` and `Ed25519` are the
 *     same for an Ed25519 key (openid-client v6 says `Ed25519`, CONTRACT.md);
 *  3. a registered key fits the header (kid when given, key type/curve for the alg, `use: sig`);
 *     a `jwks_uri` client whose set lacks the kid gets one bounded refetch (clients/client-keys.ts);
 *  4. the signature, `iss` = `sub` = client_id, `exp` present and not passed, `nbf` and `iat`
 *     not in the future (CLOCK_SKEW_SECONDS of tolerance);
 *  5. `aud` is one value — a string, or an array of exactly one element — equal to the issuer
 *     identifier or the token endpoint URL, compared as exact, case-sensitive strings; the same
 *     at every endpoint that authenticates clients (token, revocation, introspection). Anything
 *     else is refused: another endpoint's URL (the introspection or revocation URL, in any case),
 *     a near miss (a trailing slash, another case), and an array with any other member. This is
 *     the 2025 audience-injection class (draft-ietf-oauth-rfc7523bis): a client that also talks
 *     to another authorization server may be made to sign an assertion whose audience that
 *     server chose, and an `aud` accepted for "containing" our identifier, or naming some other
 *     URL of ours, would let that server replay it here. openid-client v6 sends the issuer;
 *  6. short-lived: `exp` at most MAX_ASSERTION_LIFETIME_SECONDS after `iat` (and after now);
 *  7. `jti` present and never seen before for this client (storage/used-jtis.ts, shared by every
 *     instance); it is remembered until the assertion would be refused for its `exp` anyway.
 */
import { decodeJwt, decodeProtectedHeader, errors, importJWK, jwtVerify, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { Clock } from '../clock.js';
import { usedJtiKey, type UsedJtiStore } from '../storage/used-jtis.js';
import type { ClientRecord } from '../storage/clients.js';
import { invalidClient } from './errors.js';
import { ASYMMETRIC_ALGS, keyTypeFitsAlg, MAX_CLIENT_JTI_LENGTH } from '@inkan/verifier/protocol';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ASSERTION_ALGS = ASYMMETRIC_ALGS;
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
export const CLOCK_SKEW_SECONDS = 30;
const MAX_JTI_LENGTH = MAX_CLIENT_JTI_LENGTH;
const MAX_CANDIDATE_KEYS = 5;

/**
 * Where the assertion's keys come from (clients/client-keys.ts: the registered set, or the one
 * fetched from the client's `jwks_uri`). Declared here, by the rule that needs it, so that the
 * protocol rules in oauth/ never import the clients/ folder, which builds on them.
 */
export interface ClientKeySource {
  /**
   * The client's public keys. `refresh` (after no key matched) refetches a `jwks_uri` set unless
   * it was fetched within the cooldown.
   */
  keys(client: ClientRecord, options?: { readonly refresh?: boolean }): Promise<readonly JWK[]>;
}

export interface ClientAssertionDeps {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly clock: Clock;
  readonly keys: ClientKeySource;
  readonly usedJtis: Pick<UsedJtiStore, 'use'>;
}

export interface ClientAssertionVerifier {
  /** Resolves when `assertion` authenticates `client`; otherwise invalid_client. */
  verify(client: ClientRecord, assertion: string): Promise<void>;
}

/**
 * The client_id an assertion claims (its `sub`, per RFC 7523 §3 item 2; `iss` when absent): which
 * registration to look up before anything is verified. Never trusted beyond that.
 */
export function assertedClientId(assertion: string): string {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(assertion);
  } catch (error) {
    throw invalidClient('client_assertion is not a JWT', error);
  }
  const id = payload.sub ?? payload.iss;
  if (typeof id !== 'string' || id === '') throw invalidClient('client_assertion has no sub');
  return id;
}

const isEd25519Alg = (alg: string) => alg === 'EdDSA' || alg === 'Ed25519';

/** Whether the JWK can verify `alg` (key type and curve), ignoring its kid. */
export function keyFitsAlg(jwk: JWK, alg: string): boolean {
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg && !(isEd25519Alg(jwk.alg) && isEd25519Alg(alg))) return false;
  return keyTypeFitsAlg(jwk, alg);
}

export function clientAssertionVerifier(deps: ClientAssertionDeps): ClientAssertionVerifier {
  /** Imported keys, per JWK object and alg: a registration's keys are imported once per cache life. */
  const imported = new WeakMap<JWK, Map<string, Promise<CryptoKey | Uint8Array>>>();
  function importPublicJwk(jwk: JWK, alg: string): Promise<CryptoKey | Uint8Array> {
    let byAlg = imported.get(jwk);
    if (byAlg === undefined) imported.set(jwk, (byAlg = new Map()));
    let key = byAlg.get(alg);
    if (key === undefined) {
      // Only the key's own members: its alg/use/key_ops were checked by keyFitsAlg.
      const { alg: _alg, use: _use, key_ops: _ops, ext: _ext, ...members } = jwk;
      key = importJWK(members, alg) as Promise<CryptoKey | Uint8Array>;
      key.catch(() => byAlg.delete(alg));
      byAlg.set(alg, key);
    }
    return key;
  }

  async function candidates(client: ClientRecord, alg: string, kid: string | undefined): Promise<JWK[]> {
    const select = (keys: readonly JWK[]) => keys.filter((key) => (kid === undefined || key.kid === kid) && keyFitsAlg(key, alg));
    let found = select(await deps.keys.keys(client));
    if (found.length === 0 && client.jwksUri != null) found = select(await deps.keys.keys(client, { refresh: true }));
    return found.slice(0, MAX_CANDIDATE_KEYS);
  }

  return {
    async verify(client, assertion) {
      if (client.authMethod !== 'private_key_jwt') throw invalidClient(`this client is registered for ${client.authMethod}`);
      let header;
      try {
        header = decodeProtectedHeader(assertion);
      } catch (error) {
        throw invalidClient('client_assertion is not a JWS', error);
      }
      const alg = header.alg;
      if (typeof alg !== 'string' || !(ASSERTION_ALGS as readonly string[]).includes(alg)) {
        throw invalidClient(`the client assertion's alg ${JSON.stringify(alg)} is not allowed; allowed: ${ASSERTION_ALGS.join(', ')}`);
      }
      if (header.kid !== undefined && typeof header.kid !== 'string') throw invalidClient('the client assertion kid is not a string');
      let keys: JWK[];
      try {
        keys = await candidates(client, alg, header.kid);
      } catch (error) {
        throw invalidClient("the client's keys could not be fetched", error);
      }
      if (keys.length === 0) throw invalidClient('no registered key of the client matches the client assertion');

      const now = deps.clock.nowSeconds();
      let payload: JWTPayload | undefined;
      let lastError: unknown;
      for (const jwk of keys) {
        try {
          ({ payload } = await jwtVerify(assertion, await importPublicJwk(jwk, alg), {
            algorithms: [alg],
            issuer: client.clientId,
            subject: client.clientId,
            requiredClaims: ['exp', 'jti'],
            clockTolerance: CLOCK_SKEW_SECONDS,
            currentDate: new Date(now * 1000),
          }));
          break;
        } catch (error) {
          lastError = error;
          // Another candidate may hold the right key; anything but a bad signature is final.
          if (!(error instanceof errors.JWSSignatureVerificationFailed)) break;
        }
      }
      if (payload === undefined) {
        throw invalidClient(describeFailure(lastError), lastError);
      }
      checkAudience(payload.aud, [deps.issuer, deps.tokenEndpoint]);
      const exp = payload.exp!;
      if (payload.iat !== undefined && payload.iat > now + CLOCK_SKEW_SECONDS) throw invalidClient('the client assertion was issued in the future');
      const lifetimeSeconds = exp - Math.min(payload.iat ?? now, now);
      if (lifetimeSeconds > MAX_ASSERTION_LIFETIME_SECONDS) {
        throw invalidClient(`the client assertion lives longer than ${MAX_ASSERTION_LIFETIME_SECONDS} seconds`);
      }
      const jti = payload.jti;
      if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw invalidClient('the client assertion jti is invalid');
      if (!(await deps.usedJtis.use(usedJtiKey('client_assertion', client.clientId, jti), exp + CLOCK_SKEW_SECONDS))) {
        throw invalidClient('the client assertion was already used');
      }
    },
  };
}

/** Rule 5: one audience, exactly one of `accepted` (the issuer, the token endpoint URL). */
function checkAudience(aud: unknown, accepted: readonly string[]): void {
  if (aud === undefined) throw invalidClient('the client assertion has no aud');
  if (Array.isArray(aud) && aud.length !== 1) {
    throw invalidClient(`the client assertion aud must be one value (the issuer or the token endpoint URL), not an array of ${aud.length}`);
  }
  const value: unknown = Array.isArray(aud) ? aud[0] : aud;
  if (typeof value !== 'string') throw invalidClient('the client assertion aud must be a string');
  if (!accepted.includes(value)) {
    throw invalidClient('the client assertion aud must be exactly the issuer or the token endpoint URL (case-sensitive, nothing else)');
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the client assertion has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss' || error.claim === 'sub') return 'the client assertion iss and sub must both be the client_id';
    if (error.claim === 'nbf') return 'the client assertion is not valid yet';
    return `the client assertion ${error.claim} claim is invalid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the client assertion signature does not verify';
  return 'the client assertion is invalid';
}
