/**
 * createRequestAuthenticator, the framework-free core of the Koa and Express middleware, with a
 * stand-in verifier: what it hands `verify` (the DPoP URL is the configured origin + the request's
 * path, never anything from the headers), how it reads node:http-style headers (a repeated header
 * is a second value, not a second chance), and the verdict for each refusal.
 */
import { describe, expect, it } from 'vitest';
import { authenticateBearer, createRequestAuthenticator, VerifierError, type AccessTokenClaims, type Verifier, type VerifyOptions } from '@inkan/verifier';

const ORIGIN = 'https://api.example.com';
const claims = { iss: 'https://id.example.com', sub: 'svc', aud: ORIGIN, exp: 2, iat: 1, jti: 'j', client_id: 'svc', scope: 'read' } satisfies AccessTokenClaims;

/** A verifier that records what it was asked and answers `outcome`. */
function standIn(outcome: AccessTokenClaims | VerifierError = claims): Pick<Verifier, 'verify'> & { calls: (VerifyOptions | undefined)[] } {
  const calls: (VerifyOptions | undefined)[] = [];
  return {
    calls,
    verify: async (_token, options) => {
      calls.push(options);
      if (outcome instanceof VerifierError) throw outcome;
      return outcome;
    },
  };
}

describe('createRequestAuthenticator', () => {
  it('verifies a DPoP request against the configured origin and the request path, whatever the Host header says', async () => {
    const verifier = standIn();
    const authenticate = createRequestAuthenticator(verifier, { origin: ORIGIN });
    const result = await authenticate({ method: 'POST', path: '/orders?page=2', headers: { host: 'attacker.example', authorization: 'DPoP tok', dpop: 'proof' } });
    expect(result).toEqual({ ok: true, claims });
    expect(verifier.calls).toEqual([{ dpop: { proof: 'proof', method: 'POST', url: `${ORIGIN}/orders?page=2` } }]);
  });

  it('refuses a request target that is not a path, which would not name a URL of this origin', async () => {
    const verifier = standIn();
    const authenticate = createRequestAuthenticator(verifier, { origin: ORIGIN });
    for (const path of ['@attacker.example/orders', 'http://attacker.example/orders', '*']) {
      const result = await authenticate({ method: 'GET', path, headers: { authorization: 'DPoP tok', dpop: 'proof' } });
      expect(result).toMatchObject({ ok: false, status: 401, code: 'ERR_DPOP_HTU_MISMATCH', body: { error: 'invalid_dpop_proof' } });
    }
    expect(verifier.calls).toEqual([]);
  });

  it('refuses two DPoP proofs, as an array or joined by node:http', async () => {
    const authenticate = createRequestAuthenticator(standIn(), { origin: ORIGIN });
    for (const dpop of [['one', 'two'], 'one, two']) {
      const result = await authenticate({ method: 'GET', path: '/', headers: { authorization: 'DPoP tok', dpop } });
      expect(result).toMatchObject({ ok: false, status: 401, code: 'ERR_DPOP_PROOF_INVALID', body: { error_description: 'the request must carry exactly one DPoP proof' } });
    }
  });

  it('answers stale revocation data with 503 under either scheme, not cached', async () => {
    const authenticate = createRequestAuthenticator(standIn(new VerifierError('ERR_REVOCATION_STALE', 'stale')), { origin: ORIGIN });
    const dpop = await authenticate({ method: 'GET', path: '/', headers: { authorization: 'DPoP tok', dpop: 'proof' } });
    expect(dpop).toMatchObject({ ok: false, status: 503, code: 'ERR_REVOCATION_STALE', body: { error: 'temporarily_unavailable' } });
    expect(dpop.ok === false && dpop.headers).toEqual({
      'WWW-Authenticate': 'DPoP realm="api", error="temporarily_unavailable", error_description="stale", algs="RS256 PS256 ES256 EdDSA Ed25519"',
      'Cache-Control': 'no-store',
    });
    const bearer = await authenticate({ method: 'GET', path: '/', headers: { authorization: 'Bearer tok' } });
    expect(bearer).toMatchObject({ ok: false, status: 503, headers: { 'WWW-Authenticate': 'Bearer realm="api", error="temporarily_unavailable", error_description="stale"', 'Cache-Control': 'no-store' } });
  });

  it('answers a missing scope with 403 insufficient_scope naming the scopes required', async () => {
    const authenticate = createRequestAuthenticator(standIn(), { realm: 'orders', requiredScopes: ['read', 'write'] });
    expect(await authenticate({ method: 'GET', path: '/', headers: { authorization: 'Bearer tok' } })).toEqual({
      ok: false,
      status: 403,
      headers: { 'WWW-Authenticate': 'Bearer realm="orders", error="insufficient_scope", error_description="the token lacks the scope write", scope="read write"', 'Cache-Control': 'no-store' },
      body: { error: 'insufficient_scope', error_description: 'the token lacks the scope write' },
      code: undefined,
    });
  });
});

describe('step-up (RFC 9470)', () => {
  const withAcr = (acr: string | undefined, authTime?: number): AccessTokenClaims => ({
    ...claims,
    ...(acr === undefined ? {} : { acr }),
    ...(authTime === undefined ? {} : { auth_time: authTime }),
  });

  it('answers a token without an accepted acr with 401 insufficient_user_authentication and the acr_values to ask for', async () => {
    const authenticate = createRequestAuthenticator(standIn(withAcr('urn:inkan:acr:pwd')), { realm: 'vault', acrValues: ['urn:inkan:acr:mfa', 'phr'] });
    expect(await authenticate({ method: 'GET', path: '/', headers: { authorization: 'Bearer tok' } })).toEqual({
      ok: false,
      status: 401,
      headers: {
        'WWW-Authenticate':
          'Bearer realm="vault", error="insufficient_user_authentication", error_description="the person must authenticate with one of the acr values urn:inkan:acr:mfa phr", acr_values="urn:inkan:acr:mfa phr"',
        'Cache-Control': 'no-store',
      },
      body: { error: 'insufficient_user_authentication', error_description: 'the person must authenticate with one of the acr values urn:inkan:acr:mfa phr' },
      code: undefined,
    });
    const none = createRequestAuthenticator(standIn(withAcr(undefined)), { acrValues: ['phr'] });
    expect(await none({ method: 'GET', path: '/', headers: { authorization: 'Bearer tok' } })).toMatchObject({ ok: false, status: 401, body: { error: 'insufficient_user_authentication' } });
  });

  it('lets an accepted acr through, and challenges a DPoP request with the DPoP scheme', async () => {
    const ok = createRequestAuthenticator(standIn(withAcr('phr')), { acrValues: ['urn:inkan:acr:mfa', 'phr'] });
    expect(await ok({ method: 'GET', path: '/', headers: { authorization: 'Bearer tok' } })).toMatchObject({ ok: true });
    const dpop = createRequestAuthenticator(standIn(withAcr('urn:inkan:acr:pwd')), { origin: ORIGIN, acrValues: ['urn:inkan:acr:mfa'] });
    const result = await dpop({ method: 'GET', path: '/', headers: { authorization: 'DPoP tok', dpop: 'proof' } });
    expect(result.ok === false && result.headers['WWW-Authenticate']).toMatch(/^DPoP realm="api", error="insufficient_user_authentication", .*acr_values="urn:inkan:acr:mfa", algs="/);
  });

  it('answers an authentication older than maxAge with max_age in the challenge', async () => {
    const now = () => 10_000_000;
    const old = createRequestAuthenticator(standIn(withAcr('urn:inkan:acr:mfa', 10_000 - 301)), { maxAge: 300, now });
    const result = await old({ method: 'GET', path: '/', headers: { authorization: 'Bearer tok' } });
    expect(result).toMatchObject({ ok: false, status: 401, body: { error: 'insufficient_user_authentication', error_description: 'the person must have authenticated within the last 300 seconds' } });
    expect(result.ok === false && result.headers['WWW-Authenticate']).toContain('max_age="300"');
    const fresh = createRequestAuthenticator(standIn(withAcr('urn:inkan:acr:mfa', 10_000 - 300)), { maxAge: 300, now });
    expect(await fresh({ method: 'GET', path: '/', headers: { authorization: 'Bearer tok' } })).toMatchObject({ ok: true });
  });
});

describe('authenticateBearer', () => {
  it('takes the Authorization header alone: Bearer verifies, the DPoP scheme is a malformed header', async () => {
    expect(await authenticateBearer(standIn(), 'Bearer tok')).toEqual({ ok: true, claims });
    expect(await authenticateBearer(standIn(), 'DPoP tok')).toMatchObject({ ok: false, status: 400, body: { error: 'invalid_request' } });
    expect(await authenticateBearer(standIn(), undefined)).toMatchObject({ ok: false, status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="api"' }, body: undefined });
  });
});
