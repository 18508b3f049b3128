/**
 * The `kid` of every signing key is its RFC 7638 thumbprint. src/keys/material.ts computes it
 * synchronously by hand; this checks it against jose's `calculateJwkThumbprint` and the RFC's own
 * example.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, exportJWK, generateKeyPair as joseGenerateKeyPair, type JWK } from 'jose';
import { describeKeyPair, freshPrivateKey, generateKeyPair, jwkThumbprint } from '../../src/keys/material.js';

describe('jwkThumbprint', () => {
  it('matches the example of RFC 7638 §3.1', () => {
    const jwk: JWK = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it.each(['RS256', 'EdDSA', 'ES256'] as const)('equals jose calculateJwkThumbprint for a generated %s key, and is its kid', async (alg) => {
    const pair = generateKeyPair(alg);
    expect(pair.kid).toBe(await calculateJwkThumbprint(pair.publicJwk, 'sha256'));
    expect(pair.publicJwk.kid).toBe(pair.kid);
    expect(jwkThumbprint(pair.publicJwk)).toBe(pair.kid);
  });

  it('ignores optional members and their order, like jose', async () => {
    const { publicKey } = await joseGenerateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = await exportJWK(publicKey);
    const decorated: JWK = { use: 'sig', kid: 'anything', alg: 'EdDSA', ...jwk, key_ops: ['verify'] };
    expect(jwkThumbprint(decorated)).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
    expect(jwkThumbprint(decorated)).toBe(jwkThumbprint(jwk));
  });

  it('agrees with jose for a key imported from elsewhere (RSA from node:crypto)', async () => {
    const privateKey = freshPrivateKey('rsa', { modulusLength: 2048 });
    const pair = describeKeyPair('RS256', privateKey);
    const fromNode = crypto.createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
    expect(pair.kid).toBe(await calculateJwkThumbprint(fromNode, 'sha256'));
    expect(Object.keys(pair.publicJwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });
});
