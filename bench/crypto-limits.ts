/**
 * The physical limit for `npm run bench`: jose SignJWT signs/s and jwtVerify verifies/s with a
 * cached key, per alg, on whatever core this process is pinned to. Prints one JSON line.
 *
 *   node dist/bench/crypto-limits.js <seconds>
 */
import crypto from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { generateKeyPairObject } from '../src/keys/material.js';

const seconds = Number(process.argv[2] ?? 3);

async function rate(run: () => Promise<unknown>): Promise<number> {
  const warmUntil = performance.now() + 500;
  while (performance.now() < warmUntil) await run();
  let count = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    await run();
    count += 1;
  }
  return count / ((performance.now() - started) / 1000);
}

const result: Record<string, number> = {};
for (const alg of ['EdDSA', 'RS256', 'ES256'] as const) {
  // Keys made as Inkan makes its own (material.ts: never used straight from the generating job).
  const privateKey = generateKeyPairObject(alg);
  const publicKey = crypto.createPublicKey(privateKey);
  const claims = { iss: 'http://127.0.0.1', sub: 'bench', aud: 'http://127.0.0.1', client_id: 'bench', scope: 'api', jti: 'x'.repeat(22) };
  const sign = () =>
    new SignJWT(claims).setProtectedHeader({ alg, kid: 'k', typ: 'at+jwt' }).setIssuedAt().setExpirationTime('15m').sign(privateKey);
  const token = await sign();
  result[`jose_sign_${alg}`] = await rate(sign);
  result[`jose_verify_${alg}`] = await rate(() => jwtVerify(token, publicKey, { algorithms: [alg] }));
}
process.stdout.write(`${JSON.stringify(result)}\n`);
