/**
 * The operator's key commands against a running server's database: `keys list` statuses,
 * `keys rotate` (old tokens keep verifying, new tokens carry the new kid within 5 s, the old key
 * leaves after its retirement window), `keys revoke` (out of the JWKS within 5 s, its tokens fail),
 * `keys import`, every refusal (exit 1, one line, nothing changed), and a key that cannot be
 * decrypted stopping start-up with its kid named.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, testEnv, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { freePort } from '../../helpers/postgres-server.js';
import { KEY_PROPAGATION_SECONDS } from '../../../src/keys/key-manager.js';
import { accessToken, CLI_ENTRY, kidOf, listKeys, publishedKids, runNode, SERVER_ENTRY, verifyFresh, waitFor } from './support.js';
import { freshPrivateKey } from '../../../src/keys/material.js';

// Short token lifetimes so that a retirement window (max TTL + skew + propagation) fits a test.
const FAST = { ACCESS_TOKEN_TTL: '3', ID_TOKEN_TTL: '2', CLOCK_SKEW: '1', JWKS_MAX_AGE: '1' };
const RETAIN_SECONDS = 3 + 1 + KEY_PROPAGATION_SECONDS;

const kidsWith = (status: string) => (keys: readonly { kid: string; alg: string; status: string }[], alg: string) =>
  keys.filter((key) => key.alg === alg && key.status === status).map((key) => key.kid);
const activeKid = kidsWith('active');
const nextKid = kidsWith('next');

/** Asserts a failed command: exit 1, one line on stderr naming the problem, nothing on stdout. */
function expectRefusal(result: { code: number | null; stdout: string; stderr: string }, message: RegExp) {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
}

describe('keys rotate and keys revoke on a running server', () => {
  let server: TestServer;
  let client: RegisteredClient;

  beforeAll(async () => {
    server = await startInkan({ env: FAST });
    client = await registerClient(server, ['--name', 'rotation-rp', '--alg', 'RS256']);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('lists one active and one next key per alg with kid, alg, status and created_at, all six published', async () => {
    const keys = await listKeys(server);
    expect(keys).toHaveLength(6);
    for (const alg of ['RS256', 'EdDSA', 'ES256']) {
      expect(activeKid(keys, alg)).toHaveLength(1);
      expect(nextKid(keys, alg)).toHaveLength(1);
    }
    for (const key of keys) {
      expect(key).toMatchObject({ kid: expect.any(String), alg: expect.stringMatching(/^(RS256|EdDSA|ES256)$/), status: expect.stringMatching(/^(active|next)$/) });
      expect(new Date(key.created_at).toISOString()).toBe(key.created_at);
    }
    expect((await publishedKids(server.issuer)).sort()).toEqual(keys.map((key) => key.kid).sort());
  });

  it('rotate: token A still verifies, new tokens carry the new kid within 5 s, both keys published; the old key leaves after its window', async () => {
    const before = await listKeys(server);
    const [kidA] = activeKid(before, 'RS256');
    const [eddsaKid] = activeKid(before, 'EdDSA');
    const tokenA = await accessToken(server.issuer, client);
    expect(kidOf(tokenA)).toBe(kidA);

    const rotated = await server.cli(['keys', 'rotate', '--alg', 'RS256']);
    expect(rotated.code).toBe(0);
    const { active } = rotated.json<{ active: Array<{ kid: string; alg: string }> }>();
    expect(active).toHaveLength(1);
    expect(active[0]!.alg).toBe('RS256');
    const kidB = active[0]!.kid;
    expect(kidB).not.toBe(kidA);
    // The published next key became active, and a fresh next key is published in its place.
    expect(nextKid(before, 'RS256')).toEqual([kidB]);
    const rotatedAt = Date.now();

    await expect(verifyFresh(server.issuer, tokenA)).resolves.toBeTruthy();
    const tokenB = await waitFor('a token signed by the new key', async () => {
      const token = await accessToken(server.issuer, client);
      return kidOf(token) === kidB && token;
    }, 5000);
    expect(Date.now() - rotatedAt).toBeLessThan(5000);
    await expect(verifyFresh(server.issuer, tokenB)).resolves.toBeTruthy();
    expect(await publishedKids(server.issuer)).toEqual(expect.arrayContaining([kidA, kidB, eddsaKid]));

    const after = await listKeys(server);
    expect(after.find((key) => key.kid === kidA)!.status).toBe('retiring');
    expect(activeKid(after, 'RS256')).toEqual([kidB]);
    expect(activeKid(after, 'EdDSA')).toEqual([eddsaKid]);
    expect(nextKid(after, 'RS256')).toHaveLength(1);
    expect(before.map((key) => key.kid)).not.toContain(nextKid(after, 'RS256')[0]);

    // Token A (3 s) has expired long before the old key leaves the JWKS.
    await waitFor('the retired key to leave the JWKS', async () => !(await publishedKids(server.issuer)).includes(kidA!), (RETAIN_SECONDS + 6) * 1000, 250);
    expect(Date.now() - rotatedAt).toBeGreaterThanOrEqual((RETAIN_SECONDS - 1) * 1000);
    expect((await listKeys(server)).map((key) => key.kid)).not.toContain(kidA);
    expect(await publishedKids(server.issuer)).toEqual(expect.arrayContaining([kidB, eddsaKid]));
  });

  it('revoke: the key leaves the JWKS within 5 s, tokens it signed fail verification, the next key signs', async () => {
    const before = await listKeys(server);
    const [kidB] = activeKid(before, 'RS256');
    const tokenB = await accessToken(server.issuer, client);
    expect(kidOf(tokenB)).toBe(kidB);
    await expect(verifyFresh(server.issuer, tokenB)).resolves.toBeTruthy();

    const revoked = await server.cli(['keys', 'revoke', kidB!]);
    expect(revoked.code).toBe(0);
    expect(revoked.json()).toEqual({ revoked: kidB });
    const revokedAt = Date.now();

    // The CLI made the published next key active in the same change, so the alg was never without one.
    const keys = await listKeys(server);
    expect(keys.find((key) => key.kid === kidB)!.status).toBe('revoked');
    const [kidC] = activeKid(keys, 'RS256');
    expect(kidC).toBeDefined();
    expect(kidC).not.toBe(kidB);
    expect(nextKid(before, 'RS256')).toEqual([kidC]);
    expect(nextKid(keys, 'RS256')).toHaveLength(1);

    await waitFor('the revoked key to leave the JWKS', async () => !(await publishedKids(server.issuer)).includes(kidB!), 5000, 100);
    expect(Date.now() - revokedAt).toBeLessThan(5000);
    await expect(verifyFresh(server.issuer, tokenB)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });

    const tokenC = await accessToken(server.issuer, client);
    expect(kidOf(tokenC)).toBe(kidC);
    await expect(verifyFresh(server.issuer, tokenC)).resolves.toBeTruthy();
    const res = await fetch(`${server.issuer}/readyz`);
    expect(res.status).toBe(200);
  });

  it('revoke of an unknown kid: exit 1, a clear error, nothing changed', async () => {
    const before = await listKeys(server);
    const version = await server.deps.stores.keys.version();
    expectRefusal(await server.cli(['keys', 'revoke', 'no-such-kid']), /^inkan: no signing key with kid no-such-kid$/m);
    expectRefusal(await server.cli(['keys', 'revoke']), /^inkan: expected exactly one kid$/m);
    expect(await listKeys(server)).toEqual(before);
    expect(await server.deps.stores.keys.version()).toBe(version);
  });

  it('revoking a key twice is harmless, and rotate refuses an unknown --alg', async () => {
    const revoked = (await listKeys(server)).find((key) => key.status === 'revoked')!;
    const version = await server.deps.stores.keys.version();
    const again = await server.cli(['keys', 'revoke', revoked.kid]);
    expect(again.code).toBe(0);
    expect(again.json()).toEqual({ revoked: revoked.kid });
    expectRefusal(await server.cli(['keys', 'rotate', '--alg', 'ES384']), /^inkan: --alg must be one of RS256, EdDSA, ES256$/m);
    expectRefusal(await server.cli(['keys', 'rotate', '--alg', 'es256']), /^inkan: --alg must be one of RS256, EdDSA, ES256$/m);
    expect(await server.deps.stores.keys.version()).toBe(version);
  });

  it('rotate without --alg makes the next key active for every alg: RS256, EdDSA and ES256', async () => {
    const before = await listKeys(server);
    const result = await server.cli(['keys', 'rotate']);
    expect(result.code).toBe(0);
    const { active } = result.json<{ active: Array<{ kid: string; alg: string }> }>();
    expect(active.map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    const after = await listKeys(server);
    for (const { kid, alg } of active) {
      expect(activeKid(after, alg)).toEqual([kid]);
      expect(activeKid(before, alg)).not.toContain(kid);
      expect(nextKid(before, alg)).toEqual([kid]);
    }
  });
});

describe('keys import', () => {
  let server: TestServer;
  let files: string;
  const write = (name: string, content: string) => {
    const file = path.join(files, name);
    fs.writeFileSync(file, content, { mode: 0o600 });
    return file;
  };
  const pem = (key: crypto.KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();

  beforeAll(async () => {
    // Default lifetimes: no retired key leaves during these tests, so "nothing changed" is exact.
    // A short JWKS_MAX_AGE: `keys rotate` waits for the imported key to be published that long (+3 s).
    server = await startInkan({ env: { JWKS_MAX_AGE: '1' } });
    files = path.join(server.dir, 'operator-keys');
    fs.mkdirSync(files);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('adds an RSA PEM key as next (published), and keys rotate makes it the signing key', async () => {
    const rsaKey = freshPrivateKey('rsa', { modulusLength: 2048 });
    const result = await server.cli(['keys', 'import', '--file', write('rsa.pem', pem(rsaKey))]);
    expect(result.code).toBe(0);
    const { imported } = result.json<{ imported: { kid: string; alg: string; status: string } }>();
    expect(imported).toMatchObject({ alg: 'RS256', status: 'next' });
    expect((await listKeys(server)).find((key) => key.kid === imported.kid)!.status).toBe('next');
    await waitFor('the imported key in the JWKS', async () => (await publishedKids(server.issuer)).includes(imported.kid), 5000);

    const rotated = await server.cli(['keys', 'rotate', '--alg', 'RS256']);
    expect(rotated.json()).toEqual({ active: [{ kid: imported.kid, alg: 'RS256' }] });
    const client = await registerClient(server, ['--name', 'byok', '--alg', 'RS256']);
    const token = await waitFor('a token signed by the imported key', async () => {
      const candidate = await accessToken(server.issuer, client);
      return kidOf(candidate) === imported.kid && candidate;
    }, 5000);
    await expect(verifyFresh(server.issuer, token)).resolves.toBeTruthy();
  });

  it('adds an Ed25519 private JWK from stdin as next, replacing the earlier next key of its alg', async () => {
    const edKey = freshPrivateKey('ed25519');
    const first = await server.cli(['keys', 'import', '--file', write('ed1.jwk', JSON.stringify(edKey.export({ format: 'jwk' })))]);
    const firstKid = first.json<{ imported: { kid: string } }>().imported.kid;
    const other = freshPrivateKey('ed25519');
    const second = await server.cli(['keys', 'import', '--file', '-'], JSON.stringify(other.export({ format: 'jwk' })));
    expect(second.code).toBe(0);
    const secondKid = second.json<{ imported: { kid: string; alg: string } }>().imported;
    expect(secondKid.alg).toBe('EdDSA');
    const keys = await listKeys(server);
    expect(keys.filter((key) => key.alg === 'EdDSA' && key.status === 'next').map((key) => key.kid)).toEqual([secondKid.kid]);
    expect(keys.map((key) => key.kid)).not.toContain(firstKid);
  });

  it('adds a P-256 key (PKCS#8 PEM, or a private JWK from stdin) as the next ES256 key, and keys rotate --alg ES256 makes it sign', async () => {
    const fromPem = await server.cli(['keys', 'import', '--file', write('p256.pem', pem(freshPrivateKey('ec', { namedCurve: 'P-256' })))]);
    expect(fromPem.code, fromPem.stderr).toBe(0);
    expect(fromPem.json<{ imported: { alg: string; status: string } }>().imported).toMatchObject({ alg: 'ES256', status: 'next' });
    const ecKey = freshPrivateKey('ec', { namedCurve: 'P-256' });
    const fromJwk = await server.cli(['keys', 'import', '--file', '-'], JSON.stringify({ ...ecKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig' }));
    expect(fromJwk.code, fromJwk.stderr).toBe(0);
    const { imported } = fromJwk.json<{ imported: { kid: string; alg: string; status: string } }>();
    expect(imported).toMatchObject({ alg: 'ES256', status: 'next' });
    // The JWK replaced the PEM key as the one next ES256 key.
    expect((await listKeys(server)).filter((key) => key.alg === 'ES256' && key.status === 'next').map((key) => key.kid)).toEqual([imported.kid]);
    await waitFor('the imported key in the JWKS', async () => (await publishedKids(server.issuer)).includes(imported.kid), 5000);

    const rotated = await server.cli(['keys', 'rotate', '--alg', 'ES256']);
    expect(rotated.json()).toEqual({ active: [{ kid: imported.kid, alg: 'ES256' }] });
    const client = await registerClient(server, ['--name', 'byok-es256', '--alg', 'ES256']);
    const token = await waitFor('a token signed by the imported ES256 key', async () => {
      const candidate = await accessToken(server.issuer, client);
      return kidOf(candidate) === imported.kid && candidate;
    }, 5000);
    await expect(verifyFresh(server.issuer, token)).resolves.toBeTruthy();
  });

  const refusals: Array<[string, () => string[], RegExp]> = [
    ['a 1024-bit RSA key', () => ['--file', write('weak.pem', pem(freshPrivateKey('rsa', { modulusLength: 1024 })))],
      /^inkan: the RSA key has 1024 bits; at least 2048 are required$/m],
    ['a malformed file', () => ['--file', write('junk.pem', '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n')],
      /^inkan: the PEM is not a valid private key/m],
    ['a file that is not a key at all', () => ['--file', write('junk.txt', 'hello')], /^inkan: the file is neither PEM nor valid JSON \(a JWK\)$/m],
    ['a public-only PEM', () => ['--file', write('public.pem', crypto.createPublicKey(freshPrivateKey('ed25519')).export({ format: 'pem', type: 'spki' }).toString())],
      /^inkan: the PEM holds a public key or certificate: it has no private part$/m],
    ['a public-only JWK', () => ['--file', write('public.jwk', JSON.stringify(crypto.createPublicKey(freshPrivateKey('ed25519')).export({ format: 'jwk' })))],
      /^inkan: the JWK is a public key: it has no private part \("d"\)$/m],
    ['a P-384 key', () => ['--file', write('p384.pem', pem(freshPrivateKey('ec', { namedCurve: 'P-384' })))],
      /^inkan: the EC key is on curve P-384; ES256 needs an EC key on P-256$/m],
    ['a P-384 private JWK', () => ['--file', write('p384.jwk', JSON.stringify(freshPrivateKey('ec', { namedCurve: 'P-384' }).export({ format: 'jwk' })))],
      /^inkan: the EC key is on curve P-384; ES256 needs an EC key on P-256$/m],
    ['an Ed448 key', () => ['--file', write('ed448.pem', pem(freshPrivateKey('ed448')))],
      /^inkan: unsupported key type ed448; Inkan signs with RSA ≥ 2048 bits \(RS256\), Ed25519 \(EdDSA\) or EC P-256 \(ES256\)$/m],
    ['a missing file', () => ['--file', path.join(files, 'nope.pem')], /^inkan: cannot read --file .*nope\.pem: ENOENT$/m],
    ['no --file', () => [], /^inkan: --file is required$/m],
  ];

  it.each(refusals)('refuses %s: exit 1, one line, nothing changed', async (_name, args, message) => {
    const before = await listKeys(server);
    const version = await server.deps.stores.keys.version();
    expectRefusal(await server.cli(['keys', 'import', ...args()]), message);
    expect(await listKeys(server)).toEqual(before);
    expect(await server.deps.stores.keys.version()).toBe(version);
  });

  it('refuses a key whose kid is already known (active, next or revoked)', async () => {
    const edKey = freshPrivateKey('ed25519');
    const file = write('dup.pem', pem(edKey));
    const first = await server.cli(['keys', 'import', '--file', file]);
    const { kid } = first.json<{ imported: { kid: string } }>().imported;
    const before = await listKeys(server);
    const version = await server.deps.stores.keys.version();
    expectRefusal(await server.cli(['keys', 'import', '--file', file]), new RegExp(`^inkan: a key with kid ${kid} is already known \\(status next\\)$`, 'm'));
    expect(await listKeys(server)).toEqual(before);
    expect(await server.deps.stores.keys.version()).toBe(version);

    const revoked = await server.cli(['keys', 'revoke', kid]);
    expect({ code: revoked.code, stderr: revoked.stderr }).toEqual({ code: 0, stderr: '' });
    expectRefusal(await server.cli(['keys', 'import', '--file', file]), /already known \(status revoked\)$/m);
  });

  it.each(['-', '--'])('takes a kid that begins with %s as the kid, not as an option', async (prefix) => {
    // A kid is a base64url thumbprint: one in 64 begins with "-". Draw keys until one does.
    let key: crypto.KeyObject;
    let kid: string;
    do {
      key = freshPrivateKey('ed25519');
      kid = crypto.createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x: key.export({ format: 'jwk' }).x })).digest('base64url');
    } while (!kid.startsWith(prefix) || (prefix === '-' && kid.startsWith('--')));
    const imported = await server.cli(['keys', 'import', '--file', write(`dash-${prefix.length}.pem`, pem(key))]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.json<{ imported: { kid: string } }>().imported.kid).toBe(kid);
    const revoked = await server.cli(['keys', 'revoke', kid]);
    expect({ code: revoked.code, stderr: revoked.stderr, out: revoked.json() }).toEqual({ code: 0, stderr: '', out: { revoked: kid } });
  });
});

describe('a key whose private half cannot be decrypted', () => {
  it('stops start-up (in process and `npm start`) with the kid named', async () => {
    const env = testEnv(FAST);
    const first = await startInkan({ testEnv: env });
    const keys = await listKeys(first);
    await first.stop();
    const victim = keys.find((key) => key.alg === 'EdDSA')!;

    const db = new Database(path.join(env.dir, 'inkan.sqlite'));
    const row = db.prepare('select sealed_private_key from signing_keys where kid = ?').get(victim.kid) as { sealed_private_key: string };
    const parts = row.sealed_private_key.split('.');
    const flipped = parts[2]!.startsWith('A') ? `B${parts[2]!.slice(1)}` : `A${parts[2]!.slice(1)}`;
    db.prepare('update signing_keys set sealed_private_key = ? where kid = ?').run([parts[0], parts[1], flipped, parts[3]].join('.'), victim.kid);
    db.close();

    await expect(startInkan({ testEnv: env })).rejects.toThrow(`signing key ${victim.kid} cannot be decrypted`);

    const port = await freePort();
    const started = await runNode(SERVER_ENTRY, [], { ...env.env, PORT: String(port), LOG_LEVEL: 'silent' }, env.dir, 15_000);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain(`signing key ${victim.kid} cannot be decrypted`);
  });

  it('a different key-encryption key stops start-up, naming a kid, and the CLI refuses too', async () => {
    const env = testEnv(FAST);
    const first = await startInkan({ testEnv: env });
    const kids = (await listKeys(first)).map((key) => key.kid);
    await first.stop();
    const wrongKek = crypto.randomBytes(32).toString('base64');
    const error = await startInkan({ testEnv: env, env: { KEY_ENCRYPTION_KEY: wrongKek } }).then(() => undefined, (caught: Error) => caught);
    expect(error?.message).toMatch(/^signing key (\S+) cannot be decrypted with this key-encryption key/);
    expect(kids).toContain(/^signing key (\S+) /.exec(error!.message)![1]);

    // The CLI with the wrong KEK must not write a key that the servers could not decrypt.
    const keysBefore = await listKeys(first);
    const rotate = await first.cli(['keys', 'rotate']);
    expect(rotate.code).toBe(0); // the right KEK (from KEYS_DIR) works
    const withWrongKek = { ...first.env, KEY_ENCRYPTION_KEY: wrongKek };
    const refused = await runNode(CLI_ENTRY, ['keys', 'rotate'], withWrongKek, env.dir);
    expectRefusal(refused, /^inkan: signing key \S+ cannot be decrypted with this key-encryption key/m);
    const importFile = path.join(env.dir, 'ed.pem');
    fs.writeFileSync(importFile, freshPrivateKey('ed25519').export({ format: 'pem', type: 'pkcs8' }).toString());
    expectRefusal(await runNode(CLI_ENTRY, ['keys', 'import', '--file', importFile], withWrongKek, env.dir), /cannot be decrypted/);
    expect((await listKeys(first)).length).toBe(keysBefore.length + 3); // the right KEK's rotation: a fresh next key per alg
  });
});
