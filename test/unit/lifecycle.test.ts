/**
 * The key lifecycle's pure functions under a fake clock: pre-publication, retirement windows,
 * exactly one active key per alg after every plan, revocation and import.
 */
import { describe, expect, it } from 'vitest';
import {
  applyChanges,
  invariantViolations,
  KeyLifecycleError,
  type LifecyclePolicy,
  type Mint,
  planImport,
  planRevoke,
  planRotate,
  planScheduled,
  publishedKeys,
} from '../../src/keys/lifecycle.js';
import { KEY_PROPAGATION_SECONDS, lifecyclePolicy } from '../../src/keys/key-manager.js';
import type { KeyChanges, SigningAlg, SigningKeyRecord } from '../../src/storage/stores.js';

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

describe('planScheduled', () => {
  it('creates one active key per alg on an empty database, signing at once', () => {
    const keys = bootstrapped(counterMint());
    expect(invariantViolations(keys)).toEqual([]);
    for (const alg of ['RS256', 'EdDSA'] as const) {
      expect(withStatus(keys, alg, 'active')).toHaveLength(1);
      expect(withStatus(keys, alg, 'active')[0]!.activatedAt).toBe(T0);
    }
    expect(keys).toHaveLength(2);
  });

  it('does nothing while no rotation is near', () => {
    const keys = bootstrapped(counterMint());
    expect(planScheduled(keys, T0 + 1, POLICY, counterMint())).toBeUndefined();
    expect(planScheduled(keys, T0 + 1000 - 100 - 1, POLICY, counterMint())).toBeUndefined();
  });

  it('publishes the successor as next exactly pre-publication time before rotation is due, and promotes it when due', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const first = withStatus(keys, 'RS256', 'active')[0]!;
    keys = run(keys, planScheduled(keys, T0 + 900, POLICY, mint));
    const next = withStatus(keys, 'RS256', 'next')[0]!;
    expect(next.createdAt).toBe(T0 + 900);
    expect(publishedKeys(keys, T0 + 900).map((key) => key.kid)).toContain(next.kid);
    // Not yet due.
    expect(planScheduled(keys, T0 + 999, POLICY, mint)).toBeUndefined();
    keys = run(keys, planScheduled(keys, T0 + 1000, POLICY, mint));
    expect(find(keys, next.kid)).toMatchObject({ status: 'active', activatedAt: T0 + 1000 });
    expect(find(keys, first.kid)).toMatchObject({ status: 'retiring', retiredAt: T0 + 1000, removeAfter: T0 + 1000 + 250 });
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('waits for a late next key to be published a full pre-publication time, even when rotation is overdue', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    // The scheduler did not run for a long time (every server was down).
    keys = run(keys, planScheduled(keys, T0 + 5000, POLICY, mint));
    const next = withStatus(keys, 'EdDSA', 'next')[0]!;
    expect(next.createdAt).toBe(T0 + 5000);
    expect(planScheduled(keys, T0 + 5099, POLICY, mint)).toBeUndefined();
    keys = run(keys, planScheduled(keys, T0 + 5100, POLICY, mint));
    expect(find(keys, next.kid)!.status).toBe('active');
  });

  it('removes a retiring key only once its window has passed', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    keys = run(keys, planScheduled(keys, T0 + 900, POLICY, mint));
    keys = run(keys, planScheduled(keys, T0 + 1000, POLICY, mint));
    const retiring = withStatus(keys, 'RS256', 'retiring')[0]!;
    expect(planScheduled(keys, T0 + 1249, POLICY, mint)).toBeUndefined();
    expect(publishedKeys(keys, T0 + 1249).map((key) => key.kid)).toContain(retiring.kid);
    expect(publishedKeys(keys, T0 + 1250).map((key) => key.kid)).not.toContain(retiring.kid);
    const changes = planScheduled(keys, T0 + 1250, POLICY, mint)!;
    expect(changes.remove).toEqual(expect.arrayContaining([retiring.kid]));
    expect(changes.upsert).toEqual([]);
  });

  it('makes a pre-published next key active at once when an alg has no active key', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    keys = run(keys, planScheduled(keys, T0 + 900, POLICY, mint));
    const next = withStatus(keys, 'RS256', 'next')[0]!;
    const active = withStatus(keys, 'RS256', 'active')[0]!;
    keys = keys.filter((key) => key.kid !== active.kid);
    keys = run(keys, planScheduled(keys, T0 + 901, POLICY, mint));
    expect(find(keys, next.kid)!.status).toBe('active');
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('over a long simulated run: one active key per alg always, each signing key pre-published, each retired key kept after its last signature', () => {
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
      expect(at - firstPublished.get(kid)!, kid).toBeGreaterThanOrEqual(policy.prePublishSeconds);
    }
    for (const [kid, at] of removedAt) {
      // Signed up to the second before it retired; retirement started at lastSigned + 1.
      expect(at - lastSigned.get(kid)! - 1, kid).toBeGreaterThanOrEqual(policy.retainSeconds);
    }
    expect(removedAt.size).toBeGreaterThan(30);
  });
});

describe('planRotate', () => {
  it('activates a fresh key now and retires the old one with its full window', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const old = withStatus(keys, 'RS256', 'active')[0]!;
    const eddsa = withStatus(keys, 'EdDSA', 'active')[0]!;
    keys = run(keys, planRotate(keys, ['RS256'], T0 + 10, POLICY, mint));
    const [active] = withStatus(keys, 'RS256', 'active');
    expect(active!.kid).not.toBe(old.kid);
    expect(active!.activatedAt).toBe(T0 + 10);
    expect(find(keys, old.kid)).toMatchObject({ status: 'retiring', removeAfter: T0 + 10 + 250 });
    expect(find(keys, eddsa.kid)!.status).toBe('active');
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('uses the pre-published next key when there is one', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    keys = run(keys, planScheduled(keys, T0 + 950, POLICY, mint));
    const next = withStatus(keys, 'EdDSA', 'next')[0]!;
    keys = run(keys, planRotate(keys, ['RS256', 'EdDSA'], T0 + 951, POLICY, mint));
    expect(find(keys, next.kid)!.status).toBe('active');
    expect(withStatus(keys, 'EdDSA', 'next')).toEqual([]);
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('rotating twice keeps both earlier keys published for their windows', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const first = withStatus(keys, 'RS256', 'active')[0]!;
    keys = run(keys, planRotate(keys, ['RS256'], T0 + 1, POLICY, mint));
    const second = withStatus(keys, 'RS256', 'active')[0]!;
    keys = run(keys, planRotate(keys, ['RS256'], T0 + 2, POLICY, mint));
    expect(publishedKeys(keys, T0 + 3).map((key) => key.kid)).toEqual(expect.arrayContaining([first.kid, second.kid]));
    expect(withStatus(keys, 'RS256', 'active')).toHaveLength(1);
  });
});

describe('planRevoke', () => {
  it('revoking the active key makes a fresh key of that alg active first and erases the private half', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const active = withStatus(keys, 'RS256', 'active')[0]!;
    const changes = planRevoke(keys, active.kid, T0 + 5, POLICY, mint);
    keys = run(keys, changes);
    expect(find(keys, active.kid)).toMatchObject({ status: 'revoked', revokedAt: T0 + 5, sealedPrivateKey: '' });
    const [successor] = withStatus(keys, 'RS256', 'active');
    expect(successor!.kid).not.toBe(active.kid);
    expect(successor!.activatedAt).toBe(T0 + 5);
    expect(publishedKeys(keys, T0 + 5).map((key) => key.kid)).not.toContain(active.kid);
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('revoking the active key promotes the pre-published next key (it has never signed)', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    keys = run(keys, planScheduled(keys, T0 + 950, POLICY, mint));
    const next = withStatus(keys, 'RS256', 'next')[0]!;
    const active = withStatus(keys, 'RS256', 'active')[0]!;
    keys = run(keys, planRevoke(keys, active.kid, T0 + 951, POLICY, mint));
    expect(find(keys, next.kid)!.status).toBe('active');
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('revoking a retiring or next key removes it from the JWKS at once and leaves the active key alone', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const first = withStatus(keys, 'RS256', 'active')[0]!;
    keys = run(keys, planRotate(keys, ['RS256'], T0 + 1, POLICY, mint));
    const active = withStatus(keys, 'RS256', 'active')[0]!;
    keys = run(keys, planRevoke(keys, first.kid, T0 + 2, POLICY, mint));
    expect(find(keys, first.kid)!.status).toBe('revoked');
    expect(publishedKeys(keys, T0 + 2).map((key) => key.kid)).not.toContain(first.kid);
    expect(withStatus(keys, 'RS256', 'active')[0]!.kid).toBe(active.kid);

    keys = run(keys, planScheduled(keys, T0 + 1 + 900, POLICY, mint));
    const next = withStatus(keys, 'EdDSA', 'next')[0]!;
    const mintedBefore = mint.count();
    keys = run(keys, planRevoke(keys, next.kid, T0 + 902, POLICY, mint));
    expect(mint.count()).toBe(mintedBefore);
    expect(find(keys, next.kid)!.status).toBe('revoked');
    expect(invariantViolations(keys)).toEqual([]);
  });

  it('refuses an unknown kid and does nothing for a key already revoked', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    expect(() => planRevoke(keys, 'no-such-kid', T0, POLICY, mint)).toThrow(new KeyLifecycleError('no signing key with kid no-such-kid'));
    const active = withStatus(keys, 'EdDSA', 'active')[0]!;
    keys = run(keys, planRevoke(keys, active.kid, T0 + 1, POLICY, mint));
    expect(planRevoke(keys, active.kid, T0 + 2, POLICY, mint)).toEqual({ upsert: [], remove: [] });
  });

  it('a revoked key is never removed by the schedule', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const active = withStatus(keys, 'EdDSA', 'active')[0]!;
    keys = run(keys, planRevoke(keys, active.kid, T0 + 1, POLICY, mint));
    keys = run(keys, planScheduled(keys, T0 + 100_000, POLICY, mint));
    expect(find(keys, active.kid)!.status).toBe('revoked');
  });
});

describe('planImport', () => {
  const importedKey = (mint: Mint, now: number) => mint('RS256', 'next', now);

  it('adds the key as next, replacing a generated next key of its alg', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    keys = run(keys, planScheduled(keys, T0 + 900, POLICY, mint));
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
    const keys = bootstrapped(mint);
    const imported = importedKey(mint, T0 + 1);
    expect(planImport(keys, imported)).toEqual({ upsert: [imported], remove: [] });
  });

  it('refuses a kid that is already known, whatever its status', () => {
    const mint = counterMint();
    let keys = bootstrapped(mint);
    const active = withStatus(keys, 'RS256', 'active')[0]!;
    expect(() => planImport(keys, { ...active, status: 'next' })).toThrow(/already known \(status active\)/);
    keys = run(keys, planRevoke(keys, active.kid, T0 + 1, POLICY, mint));
    expect(() => planImport(keys, { ...active, status: 'next', revokedAt: null })).toThrow(/already known \(status revoked\)/);
  });
});

describe('invariantViolations', () => {
  it('names two active keys, a missing active key, two next keys and a published key without a private half', () => {
    const mint = counterMint();
    const keys = [
      mint('RS256', 'active', T0),
      mint('RS256', 'active', T0),
      mint('EdDSA', 'next', T0),
      { ...mint('EdDSA', 'next', T0), sealedPrivateKey: '' },
    ];
    expect(invariantViolations(keys)).toEqual([
      '2 active RS256 keys',
      '0 active EdDSA keys',
      'several next EdDSA keys',
      'key EdDSA-4 is next without a private half',
    ]);
  });
});
