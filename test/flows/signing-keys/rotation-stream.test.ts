/**
 * The promise, watched from outside: relying parties built on jose `createRemoteJWKSet`,
 * honouring the JWKS cache (cacheMaxAge = JWKS_MAX_AGE, and a cooldown so long that an unknown kid
 * can never trigger an early refetch), verify a stream of tokens across at least three scheduled
 * rotations of each alg with zero failures. A JWKS watcher checks the timings directly: each key
 * was published at least JWKS_MAX_AGE before its first token, and stayed published at least a
 * token lifetime after its last. Every bound is taken on the server's side (the token's time after
 * its answer arrived against the last poll sent that lacked the kid), so a slow poll on a loaded
 * machine cannot fail a server that kept its promise.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { accessToken, jwksUri, JwksWatcher, kidOf, listKeys } from './support.js';

const JWKS_MAX_AGE = 2;
const TOKEN_TTL = 3;
const ROTATIONS = 3;

let server: TestServer;
const ALGS = ['RS256', 'EdDSA', 'ES256'] as const;
const clients: Partial<Record<(typeof ALGS)[number], RegisteredClient>> = {};

beforeAll(async () => {
  server = await startInkan({
    env: {
      KEY_ROTATION_INTERVAL: '4',
      JWKS_MAX_AGE: String(JWKS_MAX_AGE),
      ACCESS_TOKEN_TTL: String(TOKEN_TTL),
      ID_TOKEN_TTL: String(TOKEN_TTL),
      CLOCK_SKEW: '1',
    },
  });
  for (const alg of ALGS) clients[alg] = await registerClient(server, ['--name', `stream-${alg}`, '--alg', alg]);
});
afterAll(async () => {
  await server.stop();
});

it(`verifies every token across ${ROTATIONS} scheduled rotations per alg with zero failures`, { timeout: 45_000 }, async () => {
  const uri = new URL(await jwksUri(server.issuer));
  const head = await fetch(uri);
  expect(head.headers.get('cache-control')).toBe(`public, max-age=${JWKS_MAX_AGE}`);

  const cacheOptions = { cacheMaxAge: JWKS_MAX_AGE * 1000, cooldownDuration: 600_000 };
  const immediate = createRemoteJWKSet(uri, cacheOptions);
  const delayed = createRemoteJWKSet(uri, cacheOptions);
  const failures: string[] = [];
  const pending: Promise<void>[] = [];
  const kidsByAlg = { RS256: new Set<string>(), EdDSA: new Set<string>(), ES256: new Set<string>() };
  /** When the answer carrying each kid's first token arrived (it was signed no later). */
  const firstToken = new Map<string, number>();
  /** When each kid's last token was asked for (it was signed no earlier). */
  const lastToken = new Map<string, number>();
  let verified = 0;

  // Claims are checked at the moment the token arrived: with a 3 s lifetime (whole seconds, so as
  // little as 2 s) a loaded machine could otherwise expire a token before the delayed check runs.
  // The key lookup, which is what this test is about, still runs against each cache as it is then.
  const verify = async (jwks: typeof immediate, token: string, receivedAt: Date, label: string) => {
    try {
      await jwtVerify(token, jwks, { issuer: server.issuer, typ: 'at+jwt', currentDate: receivedAt });
      verified += 1;
    } catch (error) {
      failures.push(`${label} ${kidOf(token)}: ${(error as Error).message}`);
    }
  };

  const watcher = new JwksWatcher(server.issuer);

  // The keys made at start-up sign at once (nothing can have cached a JWKS before the server existed).
  const initial = new Set((await listKeys(server)).filter((key) => key.status === 'active').map((key) => key.kid));
  const started = Date.now();
  const enough = () => ALGS.every((alg) => kidsByAlg[alg].size > ROTATIONS);
  for (let i = 0; !enough() && Date.now() - started < 30_000; i += 1) {
    const alg = ALGS[i % ALGS.length]!;
    const askedAt = Date.now();
    const token = await accessToken(server.issuer, clients[alg]!);
    const receivedAt = new Date();
    const kid = kidOf(token);
    kidsByAlg[alg].add(kid);
    if (!firstToken.has(kid)) firstToken.set(kid, receivedAt.getTime());
    lastToken.set(kid, askedAt);
    await verify(immediate, token, receivedAt, 'immediate');
    // A resource server that sees the token later, from its own cache.
    pending.push(new Promise((resolve) => setTimeout(resolve, 1500)).then(() => verify(delayed, token, receivedAt, 'delayed')));
    await new Promise((resolve) => setTimeout(resolve, 80));
  }
  await Promise.all(pending);
  await watcher.stop();

  expect(failures).toEqual([]);
  for (const alg of ALGS) expect(kidsByAlg[alg].size, `${alg} kids`).toBeGreaterThan(ROTATIONS);
  expect(verified).toBeGreaterThan(50);

  const checked = { RS256: 0, EdDSA: 0, ES256: 0 };
  for (const alg of ALGS) {
    for (const kid of kidsByAlg[alg]) {
      if (initial.has(kid)) continue;
      // Undefined: the watcher's first answer already held the kid, published before the test began.
      const publishedAfter = watcher.publishedAfter(kid);
      if (publishedAfter === undefined) continue;
      expect(firstToken.get(kid)! - publishedAfter, `${kid} signed too soon after publication`).toBeGreaterThanOrEqual(JWKS_MAX_AGE * 1000);
      checked[alg] += 1;
    }
  }
  for (const alg of ALGS) expect(checked[alg], `${alg} keys whose publication the watcher saw`).toBeGreaterThanOrEqual(1);
  for (const [kid, askedAt] of lastToken) {
    const goneBy = watcher.goneBy(kid);
    if (goneBy === undefined) continue; // still published when the test ended
    expect(goneBy - askedAt, `${kid} left the JWKS while its tokens were live`).toBeGreaterThanOrEqual(TOKEN_TTL * 1000);
  }

  const keys = await listKeys(server);
  for (const alg of ALGS) expect(keys.filter((key) => key.alg === alg && key.status === 'active')).toHaveLength(1);
});
