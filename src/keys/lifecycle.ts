/**
 * The key lifecycle as pure functions of the current keys and a clock.
 *
 *   next ──(pre-published ≥ JWKS max-age, rotation due)──▶ active ──(successor active)──▶ retiring
 *     │                                                       │                              │
 *     └──────────────────────── revoke ───────────────────────┴──────────────▶ revoked        ▼
 *                                                                         gone once every token it
 *                                                                         signed has expired
 *
 * Each function returns the changes to apply (or none); callers apply them with a compare-and-set
 * on the key-state version, so two processes that plan at once never both win. New keys come from
 * `mint`, so the plan itself stays deterministic for a given clock.
 */
import type { KeyChanges, SigningAlg, SigningKeyRecord } from '../storage/stores.js';
import { SIGNING_ALGS } from '../storage/stores.js';

export interface LifecyclePolicy {
  readonly rotationIntervalSeconds: number;
  /** How long a key is published as `next` before it signs: the JWKS max-age. */
  readonly prePublishSeconds: number;
  /** How long a retired key stays published: the longest token lifetime plus clock skew. */
  readonly retainSeconds: number;
}

/** Allowance for verifiers whose clocks run behind Inkan's. */
export const CLOCK_SKEW_SECONDS = 60;

export type Mint = (alg: SigningAlg, status: 'next' | 'active', now: number) => SigningKeyRecord;

export class KeyLifecycleError extends Error {
  override readonly name = 'KeyLifecycleError';
}

const NO_CHANGES: KeyChanges = { upsert: [], remove: [] };
const isEmpty = (changes: KeyChanges): boolean => changes.upsert.length === 0 && changes.remove.length === 0;

function byAlg(keys: readonly SigningKeyRecord[], alg: SigningAlg) {
  const own = keys.filter((key) => key.alg === alg);
  return {
    active: own.find((key) => key.status === 'active'),
    next: own.find((key) => key.status === 'next'),
  };
}

function retire(key: SigningKeyRecord, now: number, policy: LifecyclePolicy): SigningKeyRecord {
  return { ...key, status: 'retiring', retiredAt: now, removeAfter: now + policy.retainSeconds };
}

function activate(key: SigningKeyRecord, now: number): SigningKeyRecord {
  return { ...key, status: 'active', activatedAt: now };
}

/** The successor of `alg`'s active key, made active now; the old active key starts retiring. */
function promote(keys: readonly SigningKeyRecord[], alg: SigningAlg, now: number, policy: LifecyclePolicy, mint: Mint): SigningKeyRecord[] {
  const { active, next } = byAlg(keys, alg);
  const successor = next !== undefined ? activate(next, now) : mint(alg, 'active', now);
  return active === undefined ? [successor] : [successor, retire(active, now, policy)];
}

/**
 * What the scheduler does at `now`: make sure every alg has an active key, pre-publish a successor
 * one max-age before rotation is due, promote it when due, and drop retiring keys whose tokens have
 * all expired.
 */
export function planScheduled(keys: readonly SigningKeyRecord[], now: number, policy: LifecyclePolicy, mint: Mint): KeyChanges | undefined {
  const upsert: SigningKeyRecord[] = [];
  for (const alg of SIGNING_ALGS) {
    const { active, next } = byAlg(keys, alg);
    if (active === undefined) {
      // Empty database, or a crash left no active key: nothing can have cached a next key for
      // long, so signing must not wait.
      upsert.push(...promote(keys, alg, now, policy, mint));
      continue;
    }
    const dueAt = (active.activatedAt ?? active.createdAt) + policy.rotationIntervalSeconds;
    if (next === undefined) {
      if (now >= dueAt - policy.prePublishSeconds) upsert.push(mint(alg, 'next', now));
    } else if (now >= dueAt && now >= next.createdAt + policy.prePublishSeconds) {
      upsert.push(...promote(keys, alg, now, policy, mint));
    }
  }
  const remove = keys
    .filter((key) => key.status === 'retiring' && key.removeAfter !== null && key.removeAfter <= now)
    .map((key) => key.kid);
  const changes = { upsert, remove };
  return isEmpty(changes) ? undefined : changes;
}

/** `keys rotate`: the operator asked for it now, so a pre-published key is used if there is one. */
export function planRotate(keys: readonly SigningKeyRecord[], algs: readonly SigningAlg[], now: number, policy: LifecyclePolicy, mint: Mint): KeyChanges {
  return { upsert: algs.flatMap((alg) => promote(keys, alg, now, policy, mint)), remove: [] };
}

/**
 * `keys revoke`: the key leaves the JWKS and signs nothing more. Revoking the active key makes a
 * successor active first, so no alg is ever left without one. The sealed private half is erased.
 */
export function planRevoke(keys: readonly SigningKeyRecord[], kid: string, now: number, policy: LifecyclePolicy, mint: Mint): KeyChanges {
  const key = keys.find((candidate) => candidate.kid === kid);
  if (key === undefined) throw new KeyLifecycleError(`no signing key with kid ${kid}`);
  if (key.status === 'revoked') return NO_CHANGES;
  const revoked: SigningKeyRecord = { ...key, status: 'revoked', revokedAt: now, sealedPrivateKey: '' };
  if (key.status !== 'active') return { upsert: [revoked], remove: [] };
  const [successor] = promote(keys, key.alg, now, policy, mint);
  return { upsert: [successor!, revoked], remove: [] };
}

/** Adds an operator-supplied key as `next`, replacing any generated `next` key of that alg. */
export function planImport(keys: readonly SigningKeyRecord[], imported: SigningKeyRecord): KeyChanges {
  if (keys.some((key) => key.kid === imported.kid)) {
    throw new KeyLifecycleError(`a key with kid ${imported.kid} is already known`);
  }
  const { next } = byAlg(keys, imported.alg);
  return { upsert: [imported], remove: next === undefined ? [] : [next.kid] };
}

/** Keys that belong in the JWKS at `now`. */
export function publishedKeys(keys: readonly SigningKeyRecord[], now: number): SigningKeyRecord[] {
  return keys.filter(
    (key) => key.status === 'next' || key.status === 'active' || (key.status === 'retiring' && (key.removeAfter ?? 0) > now),
  );
}
