/**
 * Key management as the server's scheduler and the CLI both use it: reads the keys, plans with
 * lifecycle.ts, and applies the plan with a compare-and-set on the key-state version. When another
 * process changed the keys in between, the plan is made again from fresh state, so concurrent
 * rotations from several processes leave exactly one active key per alg.
 */
import type { Clock } from '../clock.js';
import type { KeyChanges, KeySet, KeyStore, SigningAlg, SigningKeyRecord } from '../storage/stores.js';
import { type KeySealer } from './encryption.js';
import { CLOCK_SKEW_SECONDS, type LifecyclePolicy, type Mint, planRevoke, planRotate, planScheduled } from './lifecycle.js';
import { exportPkcs8, generateKeyPair, type KeyPair } from './material.js';

export interface KeyTimings {
  readonly keyRotationIntervalSeconds: number;
  readonly jwksMaxAgeSeconds: number;
  readonly accessTokenTtlSeconds: number;
  readonly idTokenTtlSeconds: number;
}

export function lifecyclePolicy(timings: KeyTimings): LifecyclePolicy {
  return {
    rotationIntervalSeconds: timings.keyRotationIntervalSeconds,
    prePublishSeconds: timings.jwksMaxAgeSeconds,
    retainSeconds: Math.max(timings.accessTokenTtlSeconds, timings.idTokenTtlSeconds) + CLOCK_SKEW_SECONDS,
  };
}

/** Seals a key pair into the record that the store keeps. */
export function keyRecord(pair: KeyPair, sealer: KeySealer, status: 'next' | 'active', now: number): SigningKeyRecord {
  return {
    kid: pair.kid,
    alg: pair.alg,
    status,
    publicJwk: pair.publicJwk,
    sealedPrivateKey: sealer.seal(pair.kid, exportPkcs8(pair.privateKey)),
    createdAt: now,
    activatedAt: status === 'active' ? now : null,
    retiredAt: null,
    removeAfter: null,
    revokedAt: null,
  };
}

export interface KeyManagerDeps {
  readonly keyStore: KeyStore;
  readonly sealer: KeySealer;
  readonly clock: Clock;
  readonly policy: LifecyclePolicy;
  /** Test hook: runs after a plan is made and before it is written (fault injection). */
  readonly beforeApply?: (changes: KeyChanges) => void;
}

const MAX_ATTEMPTS = 5;

export class KeyManager {
  private readonly mint: Mint;

  constructor(private readonly deps: KeyManagerDeps) {
    this.mint = (alg: SigningAlg, status, now) => keyRecord(generateKeyPair(alg), deps.sealer, status, now);
  }

  list(): Promise<KeySet> {
    return this.deps.keyStore.snapshot();
  }

  /** One scheduler step; returns true when it changed the keys. */
  async runSchedule(): Promise<boolean> {
    return this.applyPlan((keys, now) => planScheduled(keys, now, this.deps.policy, this.mint));
  }

  async rotate(algs: readonly SigningAlg[]): Promise<SigningKeyRecord[]> {
    await this.applyPlan((keys, now) => planRotate(keys, algs, now, this.deps.policy, this.mint));
    const { keys } = await this.list();
    return keys.filter((key) => key.status === 'active' && algs.includes(key.alg));
  }

  async revoke(kid: string): Promise<void> {
    await this.applyPlan((keys, now) => planRevoke(keys, kid, now, this.deps.policy, this.mint));
  }

  /** Applies whatever `plan` returns, planning again from fresh state if another process won. */
  async applyPlan(plan: (keys: readonly SigningKeyRecord[], now: number) => KeyChanges | undefined): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const { version, keys } = await this.deps.keyStore.snapshot();
      const changes = plan(keys, this.deps.clock.nowSeconds());
      if (changes === undefined || (changes.upsert.length === 0 && changes.remove.length === 0)) return false;
      this.deps.beforeApply?.(changes);
      if (await this.deps.keyStore.apply(version, changes)) return true;
    }
    throw new Error(`signing keys kept changing under ${MAX_ATTEMPTS} attempts to update them`);
  }
}
