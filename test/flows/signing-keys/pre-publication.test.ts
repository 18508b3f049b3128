/**
 * "Always a published next key", watched from outside: a real server process (node
 * dist/src/main.js) and the compiled CLI, with JWKS_MAX_AGE=10. A watcher polls the JWKS from the
 * very start and bounds when each kid first appeared (support.ts: JwksWatcher). `keys rotate` right after start, and
 * `keys revoke <active kid>` right after that, wait (saying so on stderr) and promote a key that
 * was in the JWKS at least JWKS_MAX_AGE before it signed its first token. `--unpublished` makes a
 * key that was never in the JWKS sign at once, and says what that costs: a verifier holding a
 * cached JWKS misses the kid. Revoking the next key publishes a fresh one at once.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { runCli, testEnv } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { freePort } from '../../helpers/postgres-server.js';
import { KEY_PROPAGATION_SECONDS } from '../../../src/keys/key-manager.js';
import { accessToken, jwksUri, JwksWatcher, kidOf, publishedKids, type ServerProcess, startServerProcess, verifyFresh, waitFor } from './support.js';

// Long enough that, on a loaded machine, the CLIs started "right after" a change still find the
// next keys younger than the pre-publication time (13 s).
const JWKS_MAX_AGE = 10;
const PRE_PUBLISH_SECONDS = JWKS_MAX_AGE + KEY_PROPAGATION_SECONDS;
const WAITING = new RegExp(
  `^inkan: the next (RS256|EdDSA|ES256) key \\S+ has been published for \\d+ s of the ${PRE_PUBLISH_SECONDS} s \\(the pre-publication time\\) ` +
    'it needs before it signs: ready in \\d+ s; waiting \\(--unpublished would make a never-published key sign at once\\)\\n$',
);
const warningFor = (alg: string, kid: string) =>
  `${alg} key ${kid} signs from now on without ever having been published: verifiers with a cached JWKS will miss this kid ` +
  `until they refetch the JWKS (up to JWKS_MAX_AGE, ${JWKS_MAX_AGE} s; later for those that do not refetch on an unknown kid)`;

const env = testEnv({ JWKS_MAX_AGE: String(JWKS_MAX_AGE), ACCESS_TOKEN_TTL: '60', ID_TOKEN_TTL: '60', CLOCK_SKEW: '1' });
let issuer: string;
let server: ServerProcess;
const cli = (args: readonly string[]) => runCli(args, { env: { ...env.env, ISSUER: issuer }, cwd: env.dir });
const operator = { cli };
type Alg = 'RS256' | 'EdDSA' | 'ES256';
const clients: Partial<Record<Alg, RegisteredClient>> = {};

let watcher: JwksWatcher;

beforeAll(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  // Nothing can be in the JWKS before the server process exists.
  watcher = new JwksWatcher(issuer, { everyMs: 100, notPublishedBefore: Date.now() });
  server = await startServerProcess(env.env, env.dir, port);
});
afterAll(async () => {
  await watcher?.stop();
  await server?.stop();
});

/** The first token signed by `kid`, and when its answer arrived (it was signed no later). */
async function firstTokenOf(alg: Alg, kid: string): Promise<{ token: string; receivedAt: number }> {
  return waitFor(`a token signed by ${kid}`, async () => {
    const token = await accessToken(issuer, clients[alg]!);
    return kidOf(token) === kid && { token, receivedAt: Date.now() };
  }, 5000, 50);
}

/** The new key signed nothing until it had been in the JWKS for JWKS_MAX_AGE. */
async function expectPublishedLongEnoughBeforeItSigned(alg: Alg, kid: string) {
  const { token, receivedAt } = await firstTokenOf(alg, kid);
  const publishedAfter = watcher.publishedAfter(kid);
  expect(publishedAfter, `the watcher knows when ${kid} was not yet published`).toBeDefined();
  expect(receivedAt - publishedAfter!, `${kid} signed too soon after it appeared in the JWKS`).toBeGreaterThanOrEqual(JWKS_MAX_AGE * 1000);
  await expect(verifyFresh(issuer, token)).resolves.toBeTruthy();
}

/** The kids of `alg` in `status`, read from the database file directly (in milliseconds: `keys list` would take a second). */
async function kidsOf(alg: string, status: string): Promise<string[]> {
  const db = new Database(path.join(env.dir, 'inkan.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select kid from signing_keys where alg = ? and status = ? order by kid').all(alg, status) as { kid: string }[]).map((row) => row.kid);
  } finally {
    db.close();
  }
}

describe('with a published next key', () => {
  it('keys rotate right after start waits for the next keys, and each was in the JWKS at least JWKS_MAX_AGE before its first token', { timeout: 60_000 }, async () => {
    const nextBefore = { RS256: await kidsOf('RS256', 'next'), EdDSA: await kidsOf('EdDSA', 'next'), ES256: await kidsOf('ES256', 'next') };
    // Alone, so nothing competes with it for the machine while the next keys are still young.
    const rotated = await cli(['keys', 'rotate']);
    const [rs, ed, es] = await Promise.all([
      registerClient(operator, ['--name', 'rs', '--alg', 'RS256']),
      registerClient(operator, ['--name', 'ed', '--alg', 'EdDSA']),
      registerClient(operator, ['--name', 'es', '--alg', 'ES256']),
    ]);
    clients.RS256 = rs;
    clients.EdDSA = ed;
    clients.ES256 = es;
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stderr).toMatch(WAITING);
    const { active } = rotated.json<{ active: Array<{ kid: string; alg: Alg }> }>();
    expect(active.map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    for (const { kid, alg } of active) {
      expect(nextBefore[alg]).toEqual([kid]);
      await expectPublishedLongEnoughBeforeItSigned(alg, kid);
    }
  });

  it('keys revoke <active kid> right after a rotation waits for the fresh next key the same way, and the revoked key leaves the JWKS', { timeout: 60_000 }, async () => {
    const [revokedKid] = await kidsOf('RS256', 'active');
    const [nextKid] = await kidsOf('RS256', 'next');
    const revoked = await cli(['keys', 'revoke', revokedKid!]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toMatch(WAITING);
    expect(revoked.json()).toEqual({ revoked: revokedKid });
    expect(await kidsOf('RS256', 'active')).toEqual([nextKid]);
    await expectPublishedLongEnoughBeforeItSigned('RS256', nextKid!);
    await waitFor('the revoked key to leave the JWKS', async () => !(await publishedKids(issuer)).includes(revokedKid!), 5000, 100);
  });

  it('keys revoke <next kid> publishes a fresh next key at once, without waiting', async () => {
    const [activeKid] = await kidsOf('EdDSA', 'active');
    const [nextKid] = await kidsOf('EdDSA', 'next');
    const revoked = await cli(['keys', 'revoke', nextKid!]);
    expect({ code: revoked.code, stderr: revoked.stderr }).toEqual({ code: 0, stderr: '' });
    expect(revoked.json()).toEqual({ revoked: nextKid });
    const [replacement] = await kidsOf('EdDSA', 'next');
    expect(replacement).toBeDefined();
    expect(replacement).not.toBe(nextKid);
    expect(await kidsOf('EdDSA', 'active')).toEqual([activeKid]);
    await waitFor('the fresh next key in the JWKS, the revoked one gone', async () => {
      const kids = await publishedKids(issuer);
      return kids.includes(replacement!) && !kids.includes(nextKid!);
    }, 5000, 100);
  });
});

describe('--unpublished', () => {
  it('keys rotate --unpublished: a never-published key signs at once, with a warning; a verifier with a cached JWKS misses its kid', async () => {
    const cached = createRemoteJWKSet(new URL(await jwksUri(issuer))); // jose's defaults: 10 min cache, 30 s refetch cooldown
    await cached.reload();
    const [nextKid] = await kidsOf('EdDSA', 'next');
    const startedAt = Date.now();
    const rotated = await cli(['keys', 'rotate', '--alg', 'EdDSA', '--unpublished']);
    expect({ code: rotated.code, stderr: rotated.stderr }).toEqual({ code: 0, stderr: '' });
    const answer = rotated.json<{ active: Array<{ kid: string; alg: string }>; warning: string }>();
    const kid = answer.active[0]!.kid;
    expect(answer).toEqual({ active: [{ kid, alg: 'EdDSA' }], warning: warningFor('EdDSA', kid) });
    expect(watcher.firstSeen(kid) ?? Infinity, `${kid} was in the JWKS before the rotation`).toBeGreaterThanOrEqual(startedAt);
    expect(kid).not.toBe(nextKid);
    expect(await kidsOf('EdDSA', 'next')).toEqual([nextKid]);

    const { token } = await firstTokenOf('EdDSA', kid);
    await expect(jwtVerify(token, cached, { issuer, typ: 'at+jwt' })).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    await expect(verifyFresh(issuer, token)).resolves.toBeTruthy();
  });

  it('keys revoke <active kid> --unpublished: a never-published key takes its place at once; the answer names it and warns', async () => {
    const [revokedKid] = await kidsOf('RS256', 'active');
    const [nextKid] = await kidsOf('RS256', 'next');
    const revoked = await cli(['keys', 'revoke', revokedKid!, '--unpublished']);
    expect({ code: revoked.code, stderr: revoked.stderr }).toEqual({ code: 0, stderr: '' });
    const answer = revoked.json<{ revoked: string; active: Array<{ kid: string; alg: string }>; warning: string }>();
    const kid = answer.active[0]!.kid;
    expect(answer).toEqual({ revoked: revokedKid, active: [{ kid, alg: 'RS256' }], warning: warningFor('RS256', kid) });
    expect([revokedKid, nextKid]).not.toContain(kid);
    expect(await kidsOf('RS256', 'active')).toEqual([kid]);
    expect(await kidsOf('RS256', 'next')).toEqual([nextKid]);
    expect(kidOf((await firstTokenOf('RS256', kid)).token)).toBe(kid);
  });
});
