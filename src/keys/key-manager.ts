/**
 * Key management as the server's scheduler and the CLI both use it: reads the keys, plans with
 * lifecycle.ts, checks the outcome, and applies the plan with a compare-and-set on the key-state
 * version. When another process changed the keys in between, the plan is made again from fresh
 * state, so concurrent rotations from several processes leave exactly one active key per alg and
 * lose no key. Around that, the store's key-change lock (a PostgreSQL advisory lock) makes the
 * processes of a cluster take turns instead of racing: an explicit change waits for its turn; a
 * scheduler tick whose change another process is already making skips (the next tick finds
 * nothing left to do).
 *
 * `rotate` and `revoke` of an active key promote the published `next` key, which may not have
 * been published long enough yet (right after start-up or after another rotation). With `wait`
 * they wait for it (at most the pre-publication time per wait, never holding the lock meanwhile)
 * and plan again; without, they throw the KeyNotReadyError that says when it will be possible.
 */
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Clock, sleepUntil } from '../clock.js';
import type { KeyChanges, KeySet, KeyStore, SigningAlg, SigningKeyRecord } from '../storage/keys.js';
import { type KeySealer } from './encryption.js';
import {
  type Activation,
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
} from './lifecycle.js';
import { exportPkcs8, generateKeyPair, type KeyPair } from './material.js';
import { type Actor, type AuditLog, CLI_ACTOR, SYSTEM_ACTOR } from '../audit/audit-log.js';

/**
 * How long a key change may take to reach every process: whole-second timestamps (1 s), the 1 s
 * scheduler tick that reloads every server's keyring, and a second of slack for a busy event loop
 * or a slow database. Added to the pre-publication time and to the retirement window.
 */
export const KEY_PROPAGATION_SECONDS = 3;

export interface KeyTimings {
  readonly keyRotationIntervalSeconds: number;
  readonly jwksMaxAgeSeconds: number;
  readonly accessTokenTtlSeconds: number;
  readonly idTokenTtlSeconds: number;
  readonly clockSkewSeconds: number;
}

/**
 * The lifecycle's timings, from the operator's settings:
 * - a `next` key is published for JWKS_MAX_AGE (+ propagation) before it signs, so every verifier's
 *   cached JWKS already holds it;
 * - a retired key stays published for the longest token lifetime + clock skew (+ propagation,
 *   since a server may sign with it until it reloads), so every token it signed expires first.
 */
export function lifecyclePolicy(timings: KeyTimings): LifecyclePolicy {
  return {
    rotationIntervalSeconds: timings.keyRotationIntervalSeconds,
    prePublishSeconds: timings.jwksMaxAgeSeconds + KEY_PROPAGATION_SECONDS,
    retainSeconds: Math.max(timings.accessTokenTtlSeconds, timings.idTokenTtlSeconds) + timings.clockSkewSeconds + KEY_PROPAGATION_SECONDS,
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
  /**
   * Test hook (fault injection, see fault-injection.ts): runs after a plan is made and checked,
   * before it is written; what it returns is written instead.
   */
  readonly beforeApply?: (changes: KeyChanges) => KeyChanges | void;
  /** Rotations, revocations and imports are audit events (audit/audit-log.ts). */
  readonly audit?: AuditLog;
  /** Resolves once `clock` reads the given second (default: clock.ts `sleepUntil`); tests pass one that moves their clock. */
  readonly waitUntil?: (seconds: number) => Promise<void>;
}

/** How `rotate` and `revoke` replace an active key. */
export interface KeyChangeOptions {
  /** Who asked (audit); the CLI by default. */
  readonly actor?: Actor;
  /** `unpublished`: a freshly minted key signs at once instead of the published `next` key. */
  readonly activation?: Activation;
  /** Wait until the `next` key has been published long enough, rather than throw KeyNotReadyError. */
  readonly wait?: boolean;
  /** Told before each wait (the CLI says so on stderr). */
  readonly onWait?: (reason: KeyNotReadyError) => void;
}

const MAX_ATTEMPTS = 8;
/**
 * A wait ends with the `next` key old enough, unless another process promoted it meanwhile (its
 * successor is young again): after this many waits in a row the change gives up.
 */
const MAX_WAITS = 5;

/** The keys a written change made active. */
const activated = (applied: KeyChanges | undefined) => (applied?.upsert ?? []).filter((key) => key.status === 'active');

interface Planned {
  readonly version: number;
  readonly keys: readonly SigningKeyRecord[];
  readonly changes: KeyChanges;
}

export class KeyManager {
  private readonly mint: Mint;

  constructor(private readonly deps: KeyManagerDeps) {
    this.mint = (alg: SigningAlg, status, now) => keyRecord(generateKeyPair(alg), deps.sealer, status, now);
  }

  /** How long a `next` key is published before it may sign (JWKS_MAX_AGE + propagation). */
  get prePublishSeconds(): number {
    return this.deps.policy.prePublishSeconds;
  }

  list(): Promise<KeySet> {
    return this.deps.keyStore.snapshot();
  }

  /**
   * One scheduler step; returns true when it changed the keys. `ifLocked: 'skip'` (the periodic
   * tick) leaves the change to the process already holding the key-change lock.
   */
  async runSchedule(ifLocked: 'wait' | 'skip' = 'wait'): Promise<boolean> {
    const applied = await this.applyPlan((keys, now) => planScheduled(keys, now, this.deps.policy, this.mint), ifLocked);
    this.audit(applied, SYSTEM_ACTOR);
    return applied !== undefined;
  }

  /** Makes a new key active for each alg; returns the keys that became active. */
  async rotate(algs: readonly SigningAlg[], options: KeyChangeOptions = {}): Promise<SigningKeyRecord[]> {
    const activation = options.activation ?? 'published';
    return activated(await this.promoting(options, (keys, now) => planRotate(keys, algs, now, this.deps.policy, this.mint, activation)));
  }

  /** Returns the key that became active in its place (none unless `kid` was active); throws KeyLifecycleError for an unknown kid. */
  async revoke(kid: string, options: KeyChangeOptions = {}): Promise<SigningKeyRecord[]> {
    const activation = options.activation ?? 'published';
    return activated(await this.promoting(options, (keys, now) => planRevoke(keys, kid, now, this.deps.policy, this.mint, activation)));
  }

  /**
   * Applies a plan that may promote a `next` key. A key set without a `next` key gets one first;
   * a `next` key too young to sign is waited for (with `options.wait`), and the plan made again.
   */
  private async promoting(
    options: KeyChangeOptions,
    plan: (keys: readonly SigningKeyRecord[], now: number) => KeyChanges,
  ): Promise<KeyChanges | undefined> {
    const actor = options.actor ?? CLI_ACTOR;
    for (let waits = 0; ; waits += 1) {
      try {
        const applied = await this.applyPlan(plan);
        this.audit(applied, actor);
        return applied;
      } catch (error) {
        if (!(error instanceof KeyNotReadyError) || waits >= MAX_WAITS) throw error;
        if (error.readyAt === undefined) {
          await this.applyPlan((keys, now) => planMissingNext(keys, now, this.mint));
          continue;
        }
        if (options.wait !== true) throw error;
        // A process with the wrong KEK is refused now, not after the wait.
        if (waits === 0) this.checkKek((await this.deps.keyStore.snapshot()).keys);
        options.onWait?.(error);
        // Never longer than the pre-publication time, even for a key stamped by a clock ahead of ours.
        const until = Math.min(error.readyAt, this.deps.clock.nowSeconds() + this.deps.policy.prePublishSeconds);
        await (this.deps.waitUntil ?? ((seconds: number) => sleepUntil(this.deps.clock, seconds)))(until);
      }
    }
  }

  /** Adds an operator's key as `next`; throws KeyLifecycleError when its kid is already known. */
  async import(pair: KeyPair, actor: Actor = CLI_ACTOR): Promise<SigningKeyRecord> {
    const applied = await this.applyPlan((keys, now) => planImport(keys, keyRecord(pair, this.deps.sealer, 'next', now)));
    const imported = applied?.upsert.find((key) => key.kid === pair.kid);
    if (imported === undefined) throw new KeyLifecycleError(`key ${pair.kid} was not imported`);
    this.deps.audit?.record({ event: 'key.imported', alg: imported.alg, kid: imported.kid }, actor);
    return imported;
  }

  /** Audit events of written changes: a key that became active (a rotation), a key revoked. */
  private audit(applied: KeyChanges | undefined, actor: Actor): void {
    const audit = this.deps.audit;
    if (audit === undefined || applied === undefined) return;
    for (const key of applied.upsert) {
      if (key.status === 'active') {
        const previous = applied.upsert.find((other) => other.alg === key.alg && other.kid !== key.kid && (other.status === 'retiring' || other.status === 'revoked'));
        audit.record({ event: 'key.rotated', alg: key.alg, kid: key.kid, previous_kid: previous?.kid ?? null }, actor);
      } else if (key.status === 'revoked') {
        audit.record({ event: 'key.revoked', alg: key.alg, kid: key.kid }, actor);
      }
    }
  }

  /**
   * Applies whatever `plan` returns, planning again from fresh state if another process won.
   * Returns the changes written, or undefined when there was nothing to do.
   */
  async applyPlan(
    plan: (keys: readonly SigningKeyRecord[], now: number) => KeyChanges | undefined,
    ifLocked: 'wait' | 'skip' = 'wait',
  ): Promise<KeyChanges | undefined> {
    let first: Planned | undefined;
    if (ifLocked === 'skip') {
      // Most ticks have nothing to do: find that out without touching the lock.
      first = await this.planFresh(plan);
      if (first === undefined) return undefined;
    }
    return this.deps.keyStore.withChangeLock(ifLocked === 'wait', () => this.applyUnderLock(plan, first));
  }

  private async planFresh(plan: (keys: readonly SigningKeyRecord[], now: number) => KeyChanges | undefined): Promise<Planned | undefined> {
    const { version, keys } = await this.deps.keyStore.snapshot();
    const changes = plan(keys, this.deps.clock.nowSeconds());
    if (changes === undefined || (changes.upsert.length === 0 && changes.remove.length === 0)) return undefined;
    return { version, keys, changes };
  }

  private async applyUnderLock(
    plan: (keys: readonly SigningKeyRecord[], now: number) => KeyChanges | undefined,
    first: Planned | undefined,
  ): Promise<KeyChanges | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const planned = attempt === 0 && first !== undefined ? first : await this.planFresh(plan);
      if (planned === undefined) return undefined;
      const { version, keys, changes } = planned;
      // A process with the wrong KEK (a CLI run from another folder, a mistyped KEY_ENCRYPTION_KEY)
      // must not write keys that the servers cannot decrypt: prove the KEK on the stored keys first.
      this.checkKek(keys);
      // Defence in depth: a plan must never make the key set worse than it found it.
      const before = new Set(invariantViolations(keys));
      const introduced = invariantViolations(applyChanges(keys, changes)).filter((problem) => !before.has(problem));
      if (introduced.length > 0) throw new KeyLifecycleError(`refusing a key change that would leave ${introduced.join(', ')}`);
      const toWrite = this.deps.beforeApply?.(changes) ?? changes;
      if (await this.deps.keyStore.apply(version, toWrite)) return changes;
      // Lost the race: back off a little, at random, so that racing processes spread out.
      await sleep(crypto.randomInt(10, 50 * (attempt + 1)));
    }
    throw new Error(`signing keys kept changing under ${MAX_ATTEMPTS} attempts to update them`);
  }

  /** Throws KeyEncryptionError naming the first stored key this process's KEK cannot decrypt. */
  private checkKek(keys: readonly SigningKeyRecord[]): void {
    for (const key of keys) if (key.sealedPrivateKey !== '') this.deps.sealer.unseal(key.kid, key.sealedPrivateKey);
  }
}
