/**
 * Key material without a server: the RFC 7638 kid agrees with jose, sealing binds the kid and
 * names it when the KEK is wrong, `keys import` parsing accepts exactly RSA ≥ 2048, Ed25519 and EC
 * P-256 (refusing P-384 and the other curves, named), and
 * generating and describing keys cannot deadlock in the garbage collector (material.ts).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, exportJWK, importJWK, jwtVerify, SignJWT } from 'jose';
import { KeyEncryptionError, keySealer } from '../../src/keys/encryption.js';
import { KeyImportError, parseImportedKey } from '../../src/keys/import.js';
import { exportPkcs8, freshPrivateKey, generateKeyPair, importPkcs8, jwkThumbprint } from '../../src/keys/material.js';
import { jwtSigner } from '../../src/keys/jwt-signer.js';
import { ROOT } from '../helpers/inkan.js';

const rsa = (bits: number) => freshPrivateKey('rsa', { modulusLength: bits });
const ed25519 = () => freshPrivateKey('ed25519');
const ec = (namedCurve: string) => freshPrivateKey('ec', { namedCurve });
const pkcs8Pem = (key: crypto.KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
const privateJwk = (key: crypto.KeyObject) => key.export({ format: 'jwk' });

describe('key generation and the garbage collector', () => {
  // Node 20's key-generation job locks its key's mutex when it is collected, and an export of that
  // key holds the mutex while it allocates: a key exported straight from generateKeyPairSync hung
  // two processes in three within 100,000 keys under these settings (tiny young generation, many GCs).
  it('generates and describes 100,000 keys without hanging', () => {
    const material = JSON.stringify(path.join(ROOT, 'dist/src/keys/material.js'));
    const script = `const { generateKeyPair } = await import(${material}); for (let i = 0; i < 100000; i++) generateKeyPair('EdDSA'); process.stdout.write('done');`;
    const run = spawnSync(process.execPath, ['--max-semi-space-size=1', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect({ signal: run.signal, status: run.status, stdout: run.stdout }).toEqual({ signal: null, status: 0, stdout: 'done' });
  }, 90_000);
});

describe('kid and public JWK', () => {
  it.each(['RS256', 'EdDSA', 'ES256'] as const)('the %s kid is the RFC 7638 thumbprint jose computes, and the JWK holds no private member', async (alg) => {
    const pair = generateKeyPair(alg);
    expect(pair.kid).toBe(await calculateJwkThumbprint(pair.publicJwk, 'sha256'));
    expect(jwkThumbprint(pair.publicJwk)).toBe(pair.kid);
    expect(pair.publicJwk).toMatchObject({ kid: pair.kid, alg, use: 'sig' });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(pair.publicJwk).not.toHaveProperty(member);
    // A token signed by Inkan's signer verifies with the published JWK alone.
    const token = jwtSigner(pair.kid, alg, pair.privateKey).sign('JWT', { sub: 'x' });
    const { payload } = await jwtVerify(token, await importJWK(pair.publicJwk, alg));
    expect(payload.sub).toBe('x');
  });
});

describe('sealing private keys (AES-256-GCM under the KEK)', () => {
  const kek = crypto.randomBytes(32);

  it('round-trips the PKCS#8 key', () => {
    const pair = generateKeyPair('EdDSA');
    const sealer = keySealer(kek);
    const sealed = sealer.seal(pair.kid, exportPkcs8(pair.privateKey));
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain(exportPkcs8(pair.privateKey).toString('base64url'));
    const key = importPkcs8(sealer.unseal(pair.kid, sealed));
    expect(key.export({ format: 'jwk' })).toEqual(pair.privateKey.export({ format: 'jwk' }));
  });

  it('refuses another KEK, a moved row and a damaged ciphertext, naming the kid', () => {
    const pair = generateKeyPair('EdDSA');
    const sealed = keySealer(kek).seal(pair.kid, exportPkcs8(pair.privateKey));
    expect(() => keySealer(crypto.randomBytes(32)).unseal(pair.kid, sealed)).toThrow(KeyEncryptionError);
    expect(() => keySealer(crypto.randomBytes(32)).unseal(pair.kid, sealed)).toThrow(new RegExp(`signing key ${pair.kid} cannot be decrypted`));
    expect(() => keySealer(kek).unseal('another-kid', sealed)).toThrow(/signing key another-kid cannot be decrypted/);
    const parts = sealed.split('.');
    const damaged = [parts[0], parts[1], `${parts[2]!.slice(0, -2)}AA`, parts[3]].join('.');
    expect(() => keySealer(kek).unseal(pair.kid, damaged)).toThrow(KeyEncryptionError);
    expect(() => keySealer(kek).unseal(pair.kid, '')).toThrow(/not in a sealed format/);
    expect(() => keySealer(crypto.randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('parseImportedKey', () => {
  it('accepts an RSA 2048 PKCS#8 PEM as RS256 with its thumbprint as kid', async () => {
    const key = rsa(2048);
    const pair = parseImportedKey(pkcs8Pem(key));
    expect(pair.alg).toBe('RS256');
    expect(pair.kid).toBe(await calculateJwkThumbprint(await exportJWK(crypto.createPublicKey(key)), 'sha256'));
  });

  it('accepts a PKCS#1 RSA 3072 PEM, an Ed25519 PEM and private JWKs (ignoring their kid)', () => {
    const rsaKey = rsa(3072);
    expect(parseImportedKey(rsaKey.export({ format: 'pem', type: 'pkcs1' }).toString()).alg).toBe('RS256');
    const edKey = ed25519();
    const fromPem = parseImportedKey(pkcs8Pem(edKey));
    expect(fromPem.alg).toBe('EdDSA');
    const fromJwk = parseImportedKey(JSON.stringify({ ...privateJwk(edKey), kid: 'operator-chosen', alg: 'EdDSA', use: 'sig' }));
    expect(fromJwk.kid).toBe(fromPem.kid);
    expect(parseImportedKey(JSON.stringify({ ...privateJwk(edKey), alg: 'Ed25519' })).alg).toBe('EdDSA');
    expect(parseImportedKey(JSON.stringify({ ...privateJwk(rsaKey), alg: 'RS256' })).alg).toBe('RS256');
  });

  it('accepts a P-256 key as ES256 from a PKCS#8 PEM, a SEC 1 PEM and a private JWK, with its RFC 7638 thumbprint as kid', async () => {
    const key = ec('P-256');
    const fromPem = parseImportedKey(pkcs8Pem(key));
    expect(fromPem.alg).toBe('ES256');
    expect(fromPem.kid).toBe(await calculateJwkThumbprint(await exportJWK(crypto.createPublicKey(key)), 'sha256'));
    expect(fromPem.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: privateJwk(key).x, y: privateJwk(key).y, kid: fromPem.kid, alg: 'ES256', use: 'sig' });
    expect(parseImportedKey(key.export({ format: 'pem', type: 'sec1' }).toString()).kid).toBe(fromPem.kid);
    const fromJwk = parseImportedKey(JSON.stringify({ ...privateJwk(key), kid: 'operator-chosen', alg: 'ES256', use: 'sig' }));
    expect(fromJwk).toMatchObject({ alg: 'ES256', kid: fromPem.kid });
    // It signs R || S (RFC 7518 §3.4) that jose verifies with the published JWK.
    const token = jwtSigner(fromJwk.kid, fromJwk.alg, fromJwk.privateKey).sign('at+jwt', { sub: 'z' });
    await expect(jwtVerify(token, await importJWK(fromJwk.publicJwk, 'ES256'))).resolves.toBeTruthy();
  });

  it('an imported key signs tokens that jose verifies with its public JWK', async () => {
    const pair = parseImportedKey(pkcs8Pem(ed25519()));
    const token = jwtSigner(pair.kid, pair.alg, pair.privateKey).sign('at+jwt', { sub: 'y' });
    await expect(jwtVerify(token, await importJWK(pair.publicJwk, 'EdDSA'))).resolves.toBeTruthy();
    // And jose's own signatures verify with it too (the public half really is the private half's).
    const joseToken = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).sign(pair.privateKey);
    await expect(jwtVerify(joseToken, await importJWK(pair.publicJwk, 'EdDSA'))).resolves.toBeTruthy();
  });

  const refusals: Array<[string, () => string, RegExp]> = [
    ['a 1024-bit RSA key', () => pkcs8Pem(rsa(1024)), /^the RSA key has 1024 bits; at least 2048 are required$/],
    ['a 1024-bit RSA JWK', () => JSON.stringify(privateJwk(rsa(1024))), /^the RSA key has 1024 bits/],
    ['a P-384 key (PEM)', () => pkcs8Pem(ec('P-384')), /^the EC key is on curve P-384; ES256 needs an EC key on P-256$/],
    ['a P-384 key (JWK)', () => JSON.stringify(privateJwk(ec('P-384'))), /^the EC key is on curve P-384; ES256 needs an EC key on P-256$/],
    ['a P-521 key', () => pkcs8Pem(ec('P-521')), /^the EC key is on curve P-521; ES256 needs an EC key on P-256$/],
    ['a secp256k1 key', () => pkcs8Pem(ec('secp256k1')), /^the EC key is on curve secp256k1; ES256 needs an EC key on P-256$/],
    ['a P-256 JWK labelled ES384', () => JSON.stringify({ ...privateJwk(ec('P-256')), alg: 'ES384' }), /^the JWK says "alg": "ES384", but Inkan signs with this key as ES256$/],
    ['a P-256 JWK with another key\'s "y"', () => JSON.stringify({ ...privateJwk(ec('P-256')), y: privateJwk(ec('P-256')).y }), /do not match|not a valid private key/],
    ['an Ed448 key', () => pkcs8Pem(freshPrivateKey('ed448')), /^unsupported key type ed448; Inkan signs with RSA ≥ 2048 bits \(RS256\), Ed25519 \(EdDSA\) or EC P-256 \(ES256\)$/],
    // The job encodes the PEM itself: no KeyObject shares its mutex (material.ts, freshPrivateKey).
    ['an RSA-PSS key', () => crypto.generateKeyPairSync('rsa-pss', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey, /^unsupported key type rsa-pss/],
    ['a public PEM', () => crypto.createPublicKey(ed25519()).export({ format: 'pem', type: 'spki' }).toString(), /has no private part/],
    ['a public JWK', () => JSON.stringify(crypto.createPublicKey(rsa(2048)).export({ format: 'jwk' })), /^the JWK is a public key: it has no private part/],
    ['a JWK Set', () => JSON.stringify({ keys: [privateJwk(ed25519())] }), /^the file is a JWK Set; give a single private JWK$/],
    ['a symmetric JWK', () => JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' }), /symmetric \(oct\) key/],
    ['an encryption JWK', () => JSON.stringify({ ...privateJwk(ed25519()), use: 'enc' }), /"use": "enc", not "sig"/],
    ['a JWK for another alg', () => JSON.stringify({ ...privateJwk(rsa(2048)), alg: 'PS256' }), /"alg": "PS256", but Inkan signs with this key as RS256/],
    ['an encrypted PEM', () => rsa(2048).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString(), /encrypted; decrypt it first/],
    ['a truncated PEM', () => pkcs8Pem(ed25519()).slice(0, 60), /^the PEM is not a valid private key/],
    ['garbage', () => 'not a key at all', /^the file is neither PEM nor valid JSON/],
    ['an empty file', () => '\n', /^the file is empty$/],
    ['a JWK without kty', () => JSON.stringify({ d: 'abc' }), /^the JWK has no "kty"$/],
    ['a JWK with mismatched halves', () => {
      const a = privateJwk(ed25519());
      const b = privateJwk(ed25519());
      return JSON.stringify({ ...a, x: b.x });
    }, /do not match|not a valid private key/],
  ];

  it.each(refusals)('refuses %s with a one-line reason', (_name, make, reason) => {
    const text = make();
    let caught: unknown;
    try {
      parseImportedKey(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KeyImportError);
    expect((caught as Error).message).toMatch(reason);
    expect((caught as Error).message).not.toContain('\n');
  });
});
