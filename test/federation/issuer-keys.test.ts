/**
 * The keys of a federated client's issuer (federation/issuer-keys.ts), driven with a fake fetch
 * and clock: the discovery URL (OpenID Connect Discovery §4, trailing slash removed), the
 * discovered issuer compared exactly, a discovered jwks_uri held to the https rule, the
 * discovery document cached while an unknown kid refetches only the JWK Set, once per cooldown.
 */
import { describe, expect, it } from 'vitest';
import { discoveryUrl, issuerKeySource } from '../../src/federation/issuer-keys.js';
import { UNKNOWN_KID_COOLDOWN_SECONDS } from '../../src/clients/remote-documents.js';
import type { FederatedCredential } from '../../src/storage/clients.js';

const keyA = { kty: 'OKP', crv: 'Ed25519', x: 'a', kid: 'a' };
const keyB = { kty: 'OKP', crv: 'Ed25519', x: 'b', kid: 'b' };

function federation(issuer: string, jwksUri: string | null = null): FederatedCredential {
  return { issuer, subject: 'workload', jwksUri, audience: null, claims: {} };
}

function setUp(documents: Record<string, () => unknown>) {
  let now = 1_000_000;
  const requested: string[] = [];
  const fetchStub = (async (url: string) => {
    requested.push(url);
    const document = documents[url];
    if (document === undefined) return new Response('', { status: 404 });
    return new Response(JSON.stringify(document()), { headers: { 'cache-control': 'max-age=3600' } });
  }) as unknown as typeof fetch;
  const source = issuerKeySource({ clock: { nowSeconds: () => now }, fetch: fetchStub });
  return { source, requested, advance: (seconds: number) => (now += seconds) };
}

describe("a federated issuer's keys", () => {
  it('are found at the jwks_uri of <issuer without trailing slash>/.well-known/openid-configuration', async () => {
    expect(discoveryUrl('https://token.actions.githubusercontent.com')).toBe('https://token.actions.githubusercontent.com/.well-known/openid-configuration');
    expect(discoveryUrl('https://oidc.example.com/tenant/')).toBe('https://oidc.example.com/tenant/.well-known/openid-configuration');
    const { source, requested } = setUp({
      'https://oidc.example.com/tenant/.well-known/openid-configuration': () => ({ issuer: 'https://oidc.example.com/tenant/', jwks_uri: 'https://keys.example.com/t' }),
      'https://keys.example.com/t': () => ({ keys: [keyA] }),
    });
    expect(await source.keys(federation('https://oidc.example.com/tenant/'))).toEqual([keyA]);
    expect(requested).toEqual(['https://oidc.example.com/tenant/.well-known/openid-configuration', 'https://keys.example.com/t']);
  });

  it('refuses a discovery document for another spelling of the issuer, or with a plain-http jwks_uri off loopback', async () => {
    const { source } = setUp({
      'https://a.example.com/.well-known/openid-configuration': () => ({ issuer: 'https://a.example.com/', jwks_uri: 'https://a.example.com/keys' }),
      'https://b.example.com/.well-known/openid-configuration': () => ({ issuer: 'https://b.example.com', jwks_uri: 'http://b.example.com/keys' }),
      'https://c.example.com/.well-known/openid-configuration': () => ({ issuer: 'https://c.example.com' }),
    });
    await expect(source.keys(federation('https://a.example.com'))).rejects.toThrow('the discovery document names another issuer than the registered one');
    await expect(source.keys(federation('https://b.example.com'))).rejects.toThrow("the discovery document's jwks_uri uses plain http off loopback");
    await expect(source.keys(federation('https://c.example.com'))).rejects.toThrow('the discovery document has no jwks_uri');
  });

  it('keep the discovery document while an unknown kid refetches the JWK Set once per cooldown', async () => {
    let keys = [keyA];
    const { source, requested, advance } = setUp({
      'https://k8s.example.com/.well-known/openid-configuration': () => ({ issuer: 'https://k8s.example.com', jwks_uri: 'https://k8s.example.com/openid/v1/jwks' }),
      'https://k8s.example.com/openid/v1/jwks': () => ({ keys }),
    });
    const cluster = federation('https://k8s.example.com');
    expect(await source.keys(cluster)).toEqual([keyA]);
    keys = [keyA, keyB];
    expect(await source.keys(cluster, { refresh: true })).toEqual([keyA, keyB]);
    keys = [keyB];
    expect(await source.keys(cluster, { refresh: true })).toEqual([keyA, keyB]); // inside the cooldown
    advance(UNKNOWN_KID_COOLDOWN_SECONDS);
    expect(await source.keys(cluster, { refresh: true })).toEqual([keyB]);
    expect(requested.filter((url) => url.endsWith('openid-configuration'))).toHaveLength(1);
    expect(requested.filter((url) => url.endsWith('jwks'))).toHaveLength(3);
  });

  it('come from a registered JWKS URI without any discovery', async () => {
    const { source, requested } = setUp({ 'https://keys.example.com/ci': () => ({ keys: [keyA] }) });
    expect(await source.keys(federation('https://ci.example.com', 'https://keys.example.com/ci'))).toEqual([keyA]);
    expect(requested).toEqual(['https://keys.example.com/ci']);
  });
});
