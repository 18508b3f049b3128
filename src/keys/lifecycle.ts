/**
 * The key lifecycle as pure functions of the current keys and a clock.
 *
 *   (minted or imported)
 *          │
 *          ▼
 *        next ──(published ≥ pre-publication time, rotation due)──▶ active ──(successor active)──▶ retiring
 *          │                                                          │                              │
 *          └─────────────────────── revoke ───────────────────────────┴───────▶ revoked             ▼
 *                               (out of the JWKS at once)                           gone once every token it
 *                                                                                    signed has expired
 *
 * Each function returns the changes to apply (or none); callers apply them with a compare-and-set
 * on the key-state version, so two processes that plan at once never both win. New keys come from
 * `mint`, so the plan itself stays deterministic for a given clock. `applyChanges` and
 * `invariantViolations` let the key manager (and the tests) check a plan's outcome before it is
 * written: exactly one active key per alg, never two next keys, nothing published without a
 * private half.
 */
import type { KeyChanges, SigningAlg, SigningKeyRecord } from '../storage/stores.js';
import { SIGNING_ALGS } from '../storage/stores.js';

export interface LifecyclePolicy {
  readonly rotationIntervalSeconds: number;
  /** How long a key is published as `next` before it signs: at least the JWKS max-age. */
  readonly prePublishSeconds: number;
  /** How long a retired key stays published: the longest token lifetime plus clock skew. */
  readonly retainSeconds: number;
}

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
 * `prePublishSeconds` before rotation is due, promote it once due and published long enough, and
 * drop retiring keys whose tokens have all expired.
 */
export function planScheduled(keys: readonly SigningKeyRecord[], now: number, policy: LifecyclePolicy, mint: Mint): KeyChanges | undefined {
  const upsert: SigningKeyRecord[] = [];
  for (const alg of SIGNING_ALGS) {
    const { active, next } = byAlg(keys, alg);
    if (active === undefined) {
      // Empty database, or an operator revoked around the scheduler: nothing can have signed
      // yet, so signing must not wait for pre-publication.
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

/**
 * `keys rotate`: the operator asked for it now, so the pre-published `next` key is used if there
 * is one, else a fresh key signs at once (verifiers with a cached JWKS refetch on the unknown kid).
 * The old key keeps its retirement window: a rotation never removes a key with live tokens.
 */
export function planRotate(keys: readonly SigningKeyRecord[], algs: readonly SigningAlg[], now: number, policy: LifecyclePolicy, mint: Mint): KeyChanges {
  return { upsert: algs.flatMap((alg) => promote(keys, alg, now, policy, mint)), remove: [] };
}

/**
 * `keys revoke`: the key leaves the JWKS and signs nothing more. Revoking the active key makes a
 * successor active first (the pre-published `next` key, which has never signed, or a fresh one),
 * so no alg is ever left without one. The sealed private half is erased; the row stays, so
 * `keys list` shows the revocation and the kid can never be imported again.
 */
export function planRevoke(keys: readonly SigningKeyRecord[], kid: string, now: number, policy: LifecyclePolicy, mint: Mint): KeyChanges {
  const key = keys.find((candidate) => candidate.kid === kid);
  if (key === undefined) throw new KeyLifecycleError(`no signing key with kid ${kid}`);
  if (key.status === 'revoked') return NO_CHANGES;
  const revoked: SigningKeyRecord = { ...key, status: 'revoked', revokedAt: now, removeAfter: null, sealedPrivateKey: '' };
  if (key.status !== 'active') return { upsert: [revoked], remove: [] };
  const [successor] = promote(keys, key.alg, now, policy, mint);
  return { upsert: [successor!, revoked], remove: [] };
}

/**
 * Adds an operator-supplied key as `next`, replacing the `next` key of its alg (which has never
 * signed, so nothing depends on it). It is promoted by the schedule once pre-published long enough,
 * or at once by `keys rotate`.
 */
export function planImport(keys: readonly SigningKeyRecord[], imported: SigningKeyRecord): KeyChanges {
  const known = keys.find((key) => key.kid === imported.kid);
  if (known !== undefined) {
    throw new KeyLifecycleError(`a key with kid ${imported.kid} is already known (status ${known.status})`);
  }
  if (imported.status !== 'next') throw new KeyLifecycleError('an imported key starts as next');
  const { next } = byAlg(keys, imported.alg);
  return { upsert: [imported], remove: next === undefined ? [] : [next.kid] };
}

/** Keys that belong in the JWKS at `now`. */
export function publishedKeys(keys: readonly SigningKeyRecord[], now: number): SigningKeyRecord[] {
  return keys.filter(
    (key) => key.status === 'next' || key.status === 'active' || (key.status === 'retiring' && (key.removeAfter ?? 0) > now),
  );
}

/** The keys after `changes` (what the store will hold once they are applied). */
export function applyChanges(keys: readonly SigningKeyRecord[], changes: KeyChanges): SigningKeyRecord[] {
  const byKid = new Map(keys.map((key) => [key.kid, key]));
  for (const key of changes.upsert) byKid.set(key.kid, key);
  for (const kid of changes.remove) byKid.delete(kid);
  return [...byKid.values()];
}

/** What is wrong with a key set (empty when it is a valid state to be in). */
export function invariantViolations(keys: readonly SigningKeyRecord[]): string[] {
  const problems: string[] = [];
  for (const alg of SIGNING_ALGS) {
    const own = keys.filter((key) => key.alg === alg);
    const active = own.filter((key) => key.status === 'active').length;
    if (active !== 1) problems.push(`${active} active ${alg} keys`);
    if (own.filter((key) => key.status === 'next').length > 1) problems.push(`several next ${alg} keys`);
  }
  for (const key of keys) {
    if (key.status !== 'revoked' && key.sealedPrivateKey === '') problems.push(`key ${key.kid} is ${key.status} without a private half`);
  }
  return problems;
}
