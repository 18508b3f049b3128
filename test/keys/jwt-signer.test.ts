/**
 * `jwtSigner` (src/keys/jwt-signer.ts) builds compact JWS by hand: Ed25519 through libsodium
 * (sodium-native), RS256 and ES256 through node:crypto. jose must verify every token it signs, the
 * protected header must be exactly {alg, kid, typ}, and, both schemes being deterministic (RFC 8032
 * §5.1.6, RSASSA-PKCS1-v1_5), the EdDSA and RS256 signature bytes must equal the ones OpenSSL
 * (node:crypto.sign) writes for the same signing input, non-ASCII payloads included. ECDSA is
 * randomised, so ES256 signatures are checked for their form instead: RFC 7518 §3.4's 64 bytes
 * of R || S, each half padded to 32 bytes (not DER), verified by jose and by PyJWT.
 */
import crypto from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { freshPrivateKey } from '../../src/keys/material.js';
import { jwtSigner, type JwtType } from '../../src/keys/jwt-signer.js';
import { describeKeyPair } from '../../src/keys/material.js';
import { pyJwtAvailable, verifyWithPyJwt } from '../helpers/pyjwt.js';

const havePyJwt = pyJwtAvailable('test/keys/jwt-signer.test.ts');

const KID = 'test-kid-0123456789';
const nowSeconds = Math.floor(Date.now() / 1000);

const PAYLOADS: readonly { name: string; payload: Record<string, unknown> }[] = [
  { name: 'an access token', payload: { iss: 'https://issuer.example', sub: 'svc', aud: 'https://api.example.com', iat: nowSeconds, exp: nowSeconds + 900, jti: '5b1e6f9a-0d0c-4d8e-9a39-0f4f3a0b7c11', scope: 'read write' } },
  { name: 'an empty payload', payload: {} },
  { name: 'Latin-1 and CJK text', payload: { sub: 'user-1', name: 'Zoë Ångström', nickname: '山田太郎', exp: nowSeconds + 60 } },
  { name: 'emoji and astral characters', payload: { sub: 'user-2', note: 'ok 🎉 𝄞 \u{1F600}', exp: nowSeconds + 60 } },
  { name: 'escapes, nesting and arrays', payload: { sub: 'user-3', quote: 'a "b" \\ c\n\t\u0000', nested: { list: [1, 'two', null, true], deep: { é: 'ü' } }, exp: nowSeconds + 60 } },
];

/** The parts of a compact JWS: the signing input (header.payload) and the decoded signature. */
function parts(token: string): { signingInput: Buffer; signature: Buffer } {
  const segments = token.split('.');
  expect(segments).toHaveLength(3);
  return { signingInput: Buffer.from(`${segments[0]}.${segments[1]}`, 'utf8'), signature: Buffer.from(segments[2]!, 'base64url') };
}

describe('EdDSA (libsodium)', () => {
  const privateKey = freshPrivateKey('ed25519');
  const publicKey = crypto.createPublicKey(privateKey);
  const signer = jwtSigner(KID, 'EdDSA', privateKey);

  it('names its kid and alg', () => {
    expect(signer.kid).toBe(KID);
    expect(signer.alg).toBe('EdDSA');
  });

  it.each(PAYLOADS)('$name: verifies with jose, header {alg, kid, typ}, the payload intact', async ({ payload }) => {
    const token = signer.sign('at+jwt', payload);
    const verified = await jwtVerify(token, publicKey, { algorithms: ['EdDSA'], typ: 'at+jwt' });
    expect(verified.protectedHeader).toEqual({ alg: 'EdDSA', kid: KID, typ: 'at+jwt' });
    expect(verified.payload).toEqual(payload);
    expect(decodeJwt(token)).toEqual(payload);
  });

  it.each(PAYLOADS)('$name: the signature bytes are the ones node:crypto (OpenSSL) writes', ({ payload }) => {
    const { signingInput, signature } = parts(signer.sign('at+jwt', payload));
    expect(signature).toHaveLength(64);
    expect(signature.equals(crypto.sign(null, signingInput, privateKey))).toBe(true);
    expect(crypto.verify(null, signingInput, publicKey, signature)).toBe(true);
  });

  it('signs the same payload to the same token, and each typ under its own header', () => {
    const payload = PAYLOADS[0]!.payload;
    expect(signer.sign('at+jwt', payload)).toBe(signer.sign('at+jwt', payload));
    for (const typ of ['JWT', 'secevent+jwt', 'statuslist+jwt', 'at+jwt'] as const satisfies readonly JwtType[]) {
      const token = signer.sign(typ, payload);
      expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: KID, typ });
      const { signingInput, signature } = parts(token);
      expect(signature.equals(crypto.sign(null, signingInput, privateKey))).toBe(true);
    }
  });

  it('signers of two keys do not share state: each token verifies only with its own key', async () => {
    const otherPrivate = freshPrivateKey('ed25519');
    const other = { privateKey: otherPrivate, publicKey: crypto.createPublicKey(otherPrivate) };
    const otherSigner = jwtSigner('other-kid', 'EdDSA', other.privateKey);
    const payload = PAYLOADS[2]!.payload;
    const mine = signer.sign('JWT', payload);
    const theirs = otherSigner.sign('JWT', payload);
    await expect(jwtVerify(mine, publicKey)).resolves.toMatchObject({ payload });
    await expect(jwtVerify(theirs, other.publicKey)).resolves.toMatchObject({ payload });
    await expect(jwtVerify(theirs, publicKey)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    expect(parts(theirs).signature.equals(crypto.sign(null, parts(theirs).signingInput, other.privateKey))).toBe(true);
  });

  it('a token with one payload byte changed no longer verifies', async () => {
    const token = signer.sign('at+jwt', PAYLOADS[0]!.payload);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...PAYLOADS[0]!.payload, scope: 'admin' })).toString('base64url')}.${signature}`;
    await expect(jwtVerify(forged, publicKey)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });
});

describe('RS256 (node:crypto)', () => {
  const rsaPrivate = freshPrivateKey('rsa', { modulusLength: 2048 });
  const keys = { privateKey: rsaPrivate, publicKey: crypto.createPublicKey(rsaPrivate) };
  const signer = jwtSigner(KID, 'RS256', keys.privateKey);

  it.each(PAYLOADS)('$name: verifies with jose, header {alg, kid, typ}, the payload intact', async ({ payload }) => {
    const token = signer.sign('at+jwt', payload);
    const verified = await jwtVerify(token, keys.publicKey, { algorithms: ['RS256'], typ: 'at+jwt' });
    expect(verified.protectedHeader).toEqual({ alg: 'RS256', kid: KID, typ: 'at+jwt' });
    expect(verified.payload).toEqual(payload);
  });

  it('the signature is RSASSA-PKCS1-v1_5 with SHA-256 over the signing input (deterministic)', () => {
    const { signingInput, signature } = parts(signer.sign('JWT', PAYLOADS[3]!.payload));
    expect(signature).toHaveLength(256);
    expect(signature.equals(crypto.sign('sha256', signingInput, keys.privateKey))).toBe(true);
  });
});

describe('ES256 (node:crypto, IEEE P1363)', () => {
  const ecPrivate = freshPrivateKey('ec', { namedCurve: 'P-256' });
  const publicKey = crypto.createPublicKey(ecPrivate);
  const signer = jwtSigner(KID, 'ES256', ecPrivate);

  it.each(PAYLOADS)('$name: verifies with jose, header {alg, kid, typ}, the payload intact', async ({ payload }) => {
    const token = signer.sign('at+jwt', payload);
    const verified = await jwtVerify(token, publicKey, { algorithms: ['ES256'], typ: 'at+jwt' });
    expect(verified.protectedHeader).toEqual({ alg: 'ES256', kid: KID, typ: 'at+jwt' });
    expect(verified.payload).toEqual(payload);
  });

  it('every signature is 64 bytes of R || S, the halves padded to 32 bytes when they begin with a zero byte', async () => {
    // About one signature in 128 has an R or S below 2^248 (a DER INTEGER shorter than 32 bytes):
    // 2,048 of them meet that case with near certainty (a miss: 1 in 10^7).
    const payload = PAYLOADS[0]!.payload;
    let padded: string | undefined;
    for (let i = 0; i < 2048; i += 1) {
      const token = signer.sign('at+jwt', { ...payload, n: i });
      const { signingInput, signature } = parts(token);
      expect(signature).toHaveLength(64);
      expect(crypto.verify('sha256', signingInput, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
      if (padded === undefined && (signature[0] === 0 || signature[32] === 0)) padded = token;
    }
    expect(padded).toBeDefined();
    await expect(jwtVerify(padded!, publicKey, { algorithms: ['ES256'] })).resolves.toBeTruthy();
  });

  it('a DER signature (what OpenSSL writes by default) is not a JWS signature: jose refuses it', async () => {
    const token = signer.sign('at+jwt', PAYLOADS[0]!.payload);
    const { signingInput } = parts(token);
    const der = crypto.sign('sha256', signingInput, ecPrivate);
    expect(der[0]).toBe(0x30);
    const derToken = `${signingInput.toString('utf8')}.${der.toString('base64url')}`;
    await expect(jwtVerify(derToken, publicKey, { algorithms: ['ES256'] })).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  it.skipIf(!havePyJwt)('PyJWT verifies its tokens with the published JWK, and refuses the DER form', async () => {
    const { publicJwk } = describeKeyPair('ES256', ecPrivate);
    const jwks = { keys: [{ ...publicJwk, kid: KID }] };
    const payload = { sub: 'svc', iat: nowSeconds, exp: nowSeconds + 600, name: 'Zoë 山田' };
    const token = signer.sign('at+jwt', payload);
    await expect(verifyWithPyJwt({ token, jwks, algorithms: ['ES256'] })).resolves.toEqual({ header: { alg: 'ES256', kid: KID, typ: 'at+jwt' }, claims: payload });
    const { signingInput } = parts(token);
    const derToken = `${signingInput.toString('utf8')}.${crypto.sign('sha256', signingInput, ecPrivate).toString('base64url')}`;
    await expect(verifyWithPyJwt({ token: derToken, jwks, algorithms: ['ES256'] })).rejects.toThrow(/PyJWT refused the token: .*Signature verification failed/);
  });
});
