/**
 * The key lifecycle's pure functions under a fake clock: a published `next` key per alg at all
 * times, promotion only after the pre-publication time (or, explicitly, a fresh unpublished key),
 * retirement windows, exactly one active key per alg after every plan, revocation and import.
 */
import { describe, expect, it } from 'vitest';
import {
  applyChanges,
  invariantViolations,
  KeyLifecycleError,
  KeyNotReadyError,
  type LifecyclePolicy,
  type Mint,
  planImport,
  planMissingNext,
  planRevoke,
  planRotate,
  planScheduled,
  publishedKeys,
} from '../../src/keys/lifecycle.js';
import { KEY_PROPAGATION_SECONDS, lifecyclePolicy } from '../../src/keys/key-manager.js';
import { type KeyChanges, SIGNING_ALGS, type SigningAlg, type SigningKeyRecord } from '../../src/storage/keys.js';

const POLICY: LifecyclePolicy = { rotationIntervalSeconds: 1000, prePublishSeconds: 100, retainSeconds: 250 };
const T0 = 1_700_000_000;

/** Deterministic keys: kid = alg-counter, a non-empty stand-in for the sealed private half. */
function counterMint(): Mint & { count: () => number } {
  let n = 0;
  const mint = ((alg: SigningAlg, status: 'next' | 'active', now: number): SigningKeyRecord => {
    n += 1;
    return {
      kid: `${alg}-${n}`,
      alg,
      status,
      publicJwk: { kty: 'test', kid: `${alg}-${n}` },
      sealedPrivateKey: `sealed-${n}`,
      createdAt: now,
      activatedAt: status === 'active' ? now : null,
      retiredAt: null,
      removeAfter: null,
      revokedAt: null,
    };
  }) as Mint & { count: () => number };
  mint.count = () => n;
  return mint;
}

function run(keys: readonly SigningKeyRecord[], changes: KeyChanges | undefined): SigningKeyRecord[] {
  return changes === undefined ? [...keys] : applyChanges(keys, changes);
}

const find = (keys: readonly SigningKeyRecord[], kid: string) => keys.find((key) => key.kid === kid);
const withStatus = (keys: readonly SigningKeyRecord[], alg: SigningAlg, status: string) =>
  keys.filter((key) => key.alg === alg && key.status === status);

/** A database as the first scheduler tick leaves it. */
function bootstrapped(mint: Mint, now = T0): SigningKeyRecord[] {
  return run([], planScheduled([], now, POLICY, mint));
}

describe('lifecyclePolicy', () => {
  it('pre-publishes for JWKS_MAX_AGE and retains for the longest token lifetime plus skew (plus propagation)', () => {
    const policy = lifecyclePolicy({
      keyRotationIntervalSeconds: 86400,
      jwksMaxAgeSeconds: 300,
      accessTokenTtlSeconds: 900,
      idTokenTtlSeconds: 3600,
      clockSkewSeconds: 60,
    });
    expect(policy).toEqual({
      rotationIntervalSeconds: 86400,
      prePublishSeconds: 300 + KEY_PROPAGATION_SECONDS,
      retainSeconds: 3600 + 60 + KEY_PROPAGATION_SECONDS,
    });
    expect(lifecyclePolicy({ keyRotationIntervalSeconds: 4, jwksMaxAgeSeconds: 2, accessTokenTtlSeconds: 7, idTokenTtlSeconds: 3, clockSkewSeconds: 1 }).retainSeconds)
      .toBe(7 + 1 + KEY_PROPAGATION_SECONDS);
    expect(KEY_PROPAGATION_SECONDS).toBeGreaterThanOrEqual(2);
  });
});

/** A key set from before `next` keys were always kept: one active key per alg, nothing else. */
function withoutNext(mint: Mint, now = T0): SigningKeyRecord[] {
  return SIGNING_ALGS.map((alg) => mint(alg, 'active', now));
}

/** A database of a version that signed with RS256 and EdDSA only, as its scheduler kept it. */
function beforeEs256(mint: Mint, now = T0): SigningKeyRecord[] {
  return (['RS256', 'EdDSA'] as const).flatMap((alg) => [mint(alg, 'active', now), mint(alg, 'next', now)]);
}

/** The error a plan threw (fails the test when it threw none). */
function thrown(plan: () => unknown): unknown {
  try {
    plan();
  } catch (error) {
    return error;
  }
  throw new Error('the plan threw nothing');
}

describe('planScheduled', () => {
  it('creates one active and one next key per alg on an empty database; the active key signs at once', () => {
    const keys = bootstrapped(counterMint());
    expect(invariantViolations(keys)).toEqual([]);
    expect(SIGNING_ALGS).toEqual(['RS256', 'EdDSA', 'ES256']);
    for (const alg of SIGNING_ALGS) {
      expect(withStatus(keys, alg, 'active')).toHaveLength(1);
      expect(withStatus(keys, alg, 'active')[0]!.activatedAt).toBe(T0);
      expect(withStatus(keys, alg, 'next')).toHaveLength(1);
      expect(withStatus(keys, alg, 'next')[0]!.createdAt).toBe(T0);
    }
    expect(keys).toHaveLength(6);
    expect(publishedKeys(keys, T0)).toHaveLength(6);
  });

  it('on a database with RS256 and EdDSA keys and none of ES256, makes an ES256 key active at once beside a next key, and leaves the others alone', () => {
    const mint = counterMint();
    const before = beforeEs256(mint);
    expect(invariantViolations(before)).toEqual(['0 active ES256 keys', '0 next ES256 keys']);
    // Long after the other keys were made, and well inside their rotation interval.
    const changes = planScheduled(before, T0 + 500, POLICY, mint)!;
    expect(changes.remove).toEqual([]);
    expect(changes.upsert.map((key) => ({ alg: key.alg, status: key.status, createdAt: key.createdAt, activatedAt: key.activatedAt }))).toEqual([
      { alg: 'ES256', status: 'active', createdAt: T0 + 500, activatedAt: T0 + 500 },
      { alg: 'ES256', status: 'next', createdAt: T0 + 500, activatedAt: null },
    ]);
    const keys = run(before, changes);
    expect(invariantViolations(keys)).toEqual([]);
    for (const key of before) expect(find(keys, key.kid)).toEqual(key);
    expect(planScheduled(keys, T0 + 501, POLICY, mint)).toBeUndefined();
  });

  it('rotates ES256 on its own schedule: its next key is promoted once due and published long enough, a fresh next key published, the old one retiring', () => {
    const mint = counterMint();
    const before = beforeEs256(mint);
    let keys = run(before, planScheduled(before, T0 + 500, POLICY, mint));
    const first = withStatus(keys, 'ES256', 'active')[0]!;
    const next = withStatus(keys, 'ES256', 'next')[0]!;
    // RS256 and EdDSA are due at T0 + 1000, ES256 only 1000 s after its own activation.
    keys = run(keys, planScheduled(keys, T0 + 1000, POLICY, mint));
    expect(find(keys, first.kid)!.status).toBe('active');
    // (Only the retired RS256 and EdDSA keys leave in between.)
    expect(planScheduled(keys, T0 + 1499, POLICY, mint)?.upsert).toEqual([]);
    keys = run(keys, planScheduled(keys, T0 + 1499, POLICY, mint));
    keys = run(keys, planScheduled(keys, T0 + 1500, POLICY, mint));
    expect(find(keys, next.kid)).toMatchObject({ status: 'active', activatedAt: T0 + 1500 });
    expect(find(keys, first.kid)).toMatchObject({ status: 'retiring', removeAfter: T0 + 1500 + POLICY.retainSeconds });
    expect(withStatus(keys, 'ES256', 'next')[0]!.createdAt).toBe(T0 + 1500);
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('does nothing until rotation is due', () => {
    const keys = bootstrapped(counterMint());
    expect(planScheduled(keys, T0 + 1, POLICY, counterMint())).toBeUndefined();
    expect(planScheduled(keys, T0 + 1000 - 1, POLICY, counterMint())).toBeUndefined();
  });

  it('promotes the next key when rotation is due and publishes its successor as next in the same change', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const first = withStatus(keys, 'RS256', 'active')[0]!;
    const next = withStatus(keys, 'RS256', 'next')[0]!;
    keys = run(keys, planScheduled(keys, T0 + 1000, POLICY, mint));
    expect(find(keys, next.kid)).toMatchObject({ status: 'active', activatedAt: T0 + 1000 });
    expect(find(keys, first.kid)).toMatchObject({ status: 'retiring', retiredAt: T0 + 1000, removeAfter: T0 + 1000 + 250 });
    const successor = withStatus(keys, 'RS256', 'next')[0]!;
    expect(successor.kid).not.toBe(next.kid);
    expect(successor.createdAt).toBe(T0 + 1000);
    expect(publishedKeys(keys, T0 + 1000).map((key) => key.kid)).toContain(successor.kid);
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('publishes a next key at once on a key set without one, and promotes it only a full pre-publication time later, even when rotation is overdue', () => {
    const mint = counterMint();
    let keys = withoutNext(mint);
    expect(invariantViolations(keys)).toEqual(['0 next RS256 keys', '0 next EdDSA keys', '0 next ES256 keys']);
    // The scheduler did not run for a long time (every server was down, or the database is older than next keys).
    keys = run(keys, planScheduled(keys, T0 + 5000, POLICY, mint));
    expect(invariantViolations(keys)).toEqual([]);
    const next = withStatus(keys, 'EdDSA', 'next')[0]!;
    expect(next.createdAt).toBe(T0 + 5000);
    expect(planScheduled(keys, T0 + 5099, POLICY, mint)).toBeUndefined();
    keys = run(keys, planScheduled(keys, T0 + 5100, POLICY, mint));
    expect(find(keys, next.kid)!.status).toBe('active');
  });

  it('removes a retiring key only once its window has passed', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    keys = run(keys, planScheduled(keys, T0 + 1000, POLICY, mint));
    const retiring = withStatus(keys, 'RS256', 'retiring')[0]!;
    expect(planScheduled(keys, T0 + 1249, POLICY, mint)).toBeUndefined();
    expect(publishedKeys(keys, T0 + 1249).map((key) => key.kid)).toContain(retiring.kid);
    expect(publishedKeys(keys, T0 + 1250).map((key) => key.kid)).not.toContain(retiring.kid);
    const changes = planScheduled(keys, T0 + 1250, POLICY, mint)!;
    expect(changes.remove).toEqual(expect.arrayContaining([retiring.kid]));
    expect(changes.upsert).toEqual([]);
  });

  it('makes the next key active at once when an alg has no active key, and publishes a new next key', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const next = withStatus(keys, 'RS256', 'next')[0]!;
    const active = withStatus(keys, 'RS256', 'active')[0]!;
    keys = keys.filter((key) => key.kid !== active.kid);
    keys = run(keys, planScheduled(keys, T0 + 1, POLICY, mint));
    expect(find(keys, next.kid)!.status).toBe('active');
    expect(withStatus(keys, 'RS256', 'next')[0]!.createdAt).toBe(T0 + 1);
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('over a long simulated run: one active and one next key per alg always, each signing key pre-published, each retired key kept after its last signature', () => {
    const mint = counterMint();
    const policy: LifecyclePolicy = { rotationIntervalSeconds: 40, prePublishSeconds: 15, retainSeconds: 25 };
    let keys: SigningKeyRecord[] = [];
    const firstPublished = new Map<string, number>();
    const lastSigned = new Map<string, number>();
    const removedAt = new Map<string, number>();
    const activatedAt = new Map<string, number>();
    for (let now = T0; now < T0 + 1000; now += 1) {
      const before = new Set(keys.map((key) => key.kid));
      keys = run(keys, planScheduled(keys, now, policy, mint));
      for (const kid of before) if (find(keys, kid) === undefined) removedAt.set(kid, now);
      expect(invariantViolations(keys), `at +${now - T0}`).toEqual([]);
      for (const key of publishedKeys(keys, now)) if (!firstPublished.has(key.kid)) firstPublished.set(key.kid, now);
      for (const key of keys.filter((candidate) => candidate.status === 'active')) {
        if (!activatedAt.has(key.kid)) activatedAt.set(key.kid, now);
        lastSigned.set(key.kid, now);
      }
    }
    expect(activatedAt.size).toBeGreaterThan(40); // ~24 rotations per alg
    for (const [kid, at] of activatedAt) {
      if (at === T0) continue; // the very first keys sign at once on an empty database
      expect(at - firstPublished.get(kid)!, kid).toBeGreaterThanOrEqual(policy.rotationIntervalSeconds);
    }
    for (const [kid, at] of removedAt) {
      // Signed up to the second before it retired; retirement started at lastSigned + 1.
      expect(at - lastSigned.get(kid)! - 1, kid).toBeGreaterThanOrEqual(policy.retainSeconds);
    }
    expect(removedAt.size).toBeGreaterThan(30);
  });

  it('rotates every pre-publication time when that is longer than the rotation interval', () => {
    const mint = counterMint();
    const policy: LifecyclePolicy = { rotationIntervalSeconds: 5, prePublishSeconds: 30, retainSeconds: 10 };
    let keys = run([], planScheduled([], T0, policy, mint));
    const next = withStatus(keys, 'RS256', 'next')[0]!;
    expect(planScheduled(keys, T0 + 29, policy, mint)).toBeUndefined();
    keys = run(keys, planScheduled(keys, T0 + 30, policy, mint));
    expect(find(keys, next.kid)).toMatchObject({ status: 'active', activatedAt: T0 + 30 });
  });
});

describe('planRotate', () => {
  it('refuses while the next key has not been published for the pre-publication time, saying when it will have been', () => {
    const mint = counterMint();
    const keys = bootstrapped(mint);
    const next = withStatus(keys, 'RS256', 'next')[0]!;
    const error = thrown(() => planRotate(keys, ['RS256'], T0 + 40, POLICY, mint));
    expect(error).toBeInstanceOf(KeyNotReadyError);
    expect(error).toMatchObject({ alg: 'RS256', kid: next.kid, readyAt: T0 + 100 });
    expect((error as Error).message).toBe(
      `the next RS256 key ${next.kid} has been published for 40 s of the 100 s (the pre-publication time) it needs before it signs: ready in 60 s`,
    );
    expect(() => planRotate(keys, ['RS256'], T0 + 99, POLICY, mint)).toThrow(KeyNotReadyError);
  });

  it('promotes the next key once published long enough, publishes a fresh next key, and retires the old key with its full window', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const old = withStatus(keys, 'RS256', 'active')[0]!;
    const next = withStatus(keys, 'RS256', 'next')[0]!;
    const eddsa = withStatus(keys, 'EdDSA', 'active')[0]!;
    keys = run(keys, planRotate(keys, ['RS256'], T0 + 100, POLICY, mint));
    expect(withStatus(keys, 'RS256', 'active').map((key) => key.kid)).toEqual([next.kid]);
    expect(find(keys, next.kid)!.activatedAt).toBe(T0 + 100);
    expect(find(keys, old.kid)).toMatchObject({ status: 'retiring', removeAfter: T0 + 100 + 250 });
    expect(withStatus(keys, 'RS256', 'next')[0]!.createdAt).toBe(T0 + 100);
    expect(find(keys, eddsa.kid)!.status).toBe('active');
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('ES256 alone (`keys rotate --alg ES256`) changes no RS256 or EdDSA key; every alg (`keys rotate`) promotes all three next keys', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const before = new Map(keys.map((key) => [key.kid, key]));
    const es256Next = withStatus(keys, 'ES256', 'next')[0]!;
    keys = run(keys, planRotate(keys, ['ES256'], T0 + 100, POLICY, mint));
    expect(withStatus(keys, 'ES256', 'active').map((key) => key.kid)).toEqual([es256Next.kid]);
    for (const key of keys.filter((candidate) => candidate.alg !== 'ES256')) expect(key).toEqual(before.get(key.kid));
    const nexts = SIGNING_ALGS.map((alg) => withStatus(keys, alg, 'next')[0]!);
    expect(thrown(() => planRotate(keys, SIGNING_ALGS, T0 + 150, POLICY, mint))).toMatchObject({ alg: 'ES256', readyAt: T0 + 200 });
    keys = run(keys, planRotate(keys, SIGNING_ALGS, T0 + 200, POLICY, mint));
    for (const next of nexts) expect(find(keys, next.kid)).toMatchObject({ status: 'active', activatedAt: T0 + 200 });
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('waits for the alg whose next key is ready last, so that one wait covers every alg', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    keys = run(keys, planRotate(keys, ['EdDSA'], T0 + 100, POLICY, mint));
    const young = withStatus(keys, 'EdDSA', 'next')[0]!;
    expect(thrown(() => planRotate(keys, ['RS256', 'EdDSA'], T0 + 150, POLICY, mint))).toMatchObject({ alg: 'EdDSA', kid: young.kid, readyAt: T0 + 200 });
    keys = run(keys, planRotate(keys, ['RS256', 'EdDSA'], T0 + 200, POLICY, mint));
    expect(find(keys, young.kid)!.status).toBe('active');
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('unpublished: a freshly minted key signs at once and the next key stays next', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const old = withStatus(keys, 'RS256', 'active')[0]!;
    const next = withStatus(keys, 'RS256', 'next')[0]!;
    const minted = mint.count();
    keys = run(keys, planRotate(keys, ['RS256'], T0 + 1, POLICY, mint, 'unpublished'));
    const [active] = withStatus(keys, 'RS256', 'active');
    expect(active).toMatchObject({ createdAt: T0 + 1, activatedAt: T0 + 1 });
    expect([old.kid, next.kid]).not.toContain(active!.kid);
    expect(mint.count()).toBe(minted + 1);
    expect(withStatus(keys, 'RS256', 'next').map((key) => key.kid)).toEqual([next.kid]);
    expect(find(keys, old.kid)!.status).toBe('retiring');
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('on a key set without a next key: refuses without a time, and planMissingNext publishes one', () => {
    const mint = counterMint();
    let keys = withoutNext(mint);
    expect(thrown(() => planRotate(keys, ['RS256'], T0 + 1, POLICY, mint))).toMatchObject({ alg: 'RS256', kid: undefined, readyAt: undefined });
    keys = run(keys, planMissingNext(keys, T0 + 1, mint));
    expect(invariantViolations(keys)).toEqual([]);
    expect(planMissingNext(keys, T0 + 2, mint)).toBeUndefined();
    expect(thrown(() => planRotate(keys, ['RS256'], T0 + 2, POLICY, mint))).toMatchObject({ readyAt: T0 + 101 });
  });

  it('rotating twice keeps both earlier keys published for their windows', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const first = withStatus(keys, 'RS256', 'active')[0]!;
    keys = run(keys, planRotate(keys, ['RS256'], T0 + 100, POLICY, mint));
    const second = withStatus(keys, 'RS256', 'active')[0]!;
    keys = run(keys, planRotate(keys, ['RS256'], T0 + 200, POLICY, mint));
    expect(publishedKeys(keys, T0 + 201).map((key) => key.kid)).toEqual(expect.arrayContaining([first.kid, second.kid]));
    expect(withStatus(keys, 'RS256', 'active')).toHaveLength(1);
  });
});

describe('planRevoke', () => {
  it.each(SIGNING_ALGS)('revoking the active %s key waits for the next key, then promotes it, publishes a fresh next key and erases the private half', (alg) => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const active = withStatus(keys, alg, 'active')[0]!;
    const next = withStatus(keys, alg, 'next')[0]!;
    expect(thrown(() => planRevoke(keys, active.kid, T0 + 5, POLICY, mint))).toMatchObject({ alg: alg, kid: next.kid, readyAt: T0 + 100 });
    keys = run(keys, planRevoke(keys, active.kid, T0 + 100, POLICY, mint));
    expect(find(keys, active.kid)).toMatchObject({ status: 'revoked', revokedAt: T0 + 100, sealedPrivateKey: '' });
    expect(find(keys, next.kid)).toMatchObject({ status: 'active', activatedAt: T0 + 100 });
    expect(withStatus(keys, alg, 'next')[0]!.createdAt).toBe(T0 + 100);
    expect(publishedKeys(keys, T0 + 100).map((key) => key.kid)).not.toContain(active.kid);
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('unpublished: revoking the active key makes a fresh key active at once and leaves the next key alone', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const active = withStatus(keys, 'EdDSA', 'active')[0]!;
    const next = withStatus(keys, 'EdDSA', 'next')[0]!;
    keys = run(keys, planRevoke(keys, active.kid, T0 + 5, POLICY, mint, 'unpublished'));
    expect(find(keys, active.kid)!.status).toBe('revoked');
    const [successor] = withStatus(keys, 'EdDSA', 'active');
    expect(successor).toMatchObject({ createdAt: T0 + 5, activatedAt: T0 + 5 });
    expect([active.kid, next.kid]).not.toContain(successor!.kid);
    expect(withStatus(keys, 'EdDSA', 'next').map((key) => key.kid)).toEqual([next.kid]);
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('revoking a retiring key removes it from the JWKS at once and leaves the other keys alone', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const first = withStatus(keys, 'RS256', 'active')[0]!;
    keys = run(keys, planRotate(keys, ['RS256'], T0 + 100, POLICY, mint));
    const active = withStatus(keys, 'RS256', 'active')[0]!;
    const next = withStatus(keys, 'RS256', 'next')[0]!;
    const minted = mint.count();
    keys = run(keys, planRevoke(keys, first.kid, T0 + 101, POLICY, mint));
    expect(mint.count()).toBe(minted);
    expect(find(keys, first.kid)!.status).toBe('revoked');
    expect(publishedKeys(keys, T0 + 101).map((key) => key.kid)).not.toContain(first.kid);
    expect(withStatus(keys, 'RS256', 'active')[0]!.kid).toBe(active.kid);
    expect(withStatus(keys, 'RS256', 'next')[0]!.kid).toBe(next.kid);
  });

  it('revoking the next key publishes a fresh next key in its place and leaves the active key alone', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const active = withStatus(keys, 'EdDSA', 'active')[0]!;
    const next = withStatus(keys, 'EdDSA', 'next')[0]!;
    keys = run(keys, planRevoke(keys, next.kid, T0 + 2, POLICY, mint));
    expect(find(keys, next.kid)).toMatchObject({ status: 'revoked', sealedPrivateKey: '' });
    expect(publishedKeys(keys, T0 + 2).map((key) => key.kid)).not.toContain(next.kid);
    const [replacement] = withStatus(keys, 'EdDSA', 'next');
    expect(replacement).toMatchObject({ createdAt: T0 + 2 });
    expect(replacement!.kid).not.toBe(next.kid);
    expect(withStatus(keys, 'EdDSA', 'active')[0]!.kid).toBe(active.kid);
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('refuses an unknown kid and does nothing for a key already revoked', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    expect(() => planRevoke(keys, 'no-such-kid', T0, POLICY, mint)).toThrow(new KeyLifecycleError('no signing key with kid no-such-kid'));
    const active = withStatus(keys, 'EdDSA', 'active')[0]!;
    keys = run(keys, planRevoke(keys, active.kid, T0 + 100, POLICY, mint));
    expect(planRevoke(keys, active.kid, T0 + 101, POLICY, mint)).toEqual({ upsert: [], remove: [] });
  });

  it('a revoked key is never removed by the schedule', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const active = withStatus(keys, 'EdDSA', 'active')[0]!;
    keys = run(keys, planRevoke(keys, active.kid, T0 + 1, POLICY, mint, 'unpublished'));
    keys = run(keys, planScheduled(keys, T0 + 100_000, POLICY, mint));
    expect(find(keys, active.kid)!.status).toBe('revoked');
  });
});

describe('planImport', () => {
  const importedKey = (mint: Mint, now: number) => mint('RS256', 'next', now);

  it('adds the key as next, replacing a generated next key of its alg', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const generated = withStatus(keys, 'RS256', 'next')[0]!;
    const imported = importedKey(mint, T0 + 901);
    const changes = planImport(keys, imported);
    expect(changes).toEqual({ upsert: [imported], remove: [generated.kid] });
    keys = run(keys, changes);
    expect(withStatus(keys, 'RS256', 'next').map((key) => key.kid)).toEqual([imported.kid]);
    expect(withStatus(keys, 'EdDSA', 'next')).toHaveLength(1);
    expect(invariantViolations(keys)).toEqual([]);
    // It is pre-published like any next key before the schedule promotes it.
    expect(planScheduled(keys, T0 + 1000, POLICY, mint)?.upsert.some((key) => key.kid === imported.kid)).toBe(false);
    keys = run(keys, planScheduled(keys, T0 + 1001, POLICY, mint));
    expect(find(keys, imported.kid)!.status).toBe('active');
  });

  it('adds the key without removing anything when there is no next key', () => {
    const mint = counterMint();
    const keys = withoutNext(mint);
    const imported = importedKey(mint, T0 + 1);
    expect(planImport(keys, imported)).toEqual({ upsert: [imported], remove: [] });
  });

  it('refuses a kid that is already known, whatever its status', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const active = withStatus(keys, 'RS256', 'active')[0]!;
    expect(() => planImport(keys, { ...active, status: 'next' })).toThrow(/already known \(status active\)/);
    keys = run(keys, planRevoke(keys, active.kid, T0 + 100, POLICY, mint));
    expect(() => planImport(keys, { ...active, status: 'next', revokedAt: null })).toThrow(/already known \(status revoked\)/);
  });
});

describe('invariantViolations', () => {
  it('names two active keys, a missing active key, a missing next key, two next keys and a published key without a private half', () => {
    const mint = counterMint();
    const keys = [
      mint('RS256', 'active', T0),
      mint('RS256', 'active', T0),
      mint('EdDSA', 'next', T0),
      { ...mint('EdDSA', 'next', T0), sealedPrivateKey: '' },
      mint('ES256', 'active', T0),
    ];
    expect(invariantViolations(keys)).toEqual([
      '2 active RS256 keys',
      '0 next RS256 keys',
      '0 active EdDSA keys',
      '2 next EdDSA keys',
      '0 next ES256 keys',
      'key EdDSA-4 is next without a private half',
    ]);
  });
});
