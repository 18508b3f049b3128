/**
 * The key lifecycle as pure functions of the current keys and a clock.
 *
 *   (minted with the first active key, or when its predecessor is promoted or revoked; or imported)
 *          │
 *          ▼
 *        next ──(published ≥ pre-publication time; rotation due, or `keys rotate`)──▶ active ──(successor active)──▶ retiring
 *          │                                                                            │                              │
 *          └──────────────────────────────── revoke ────────────────────────────────────┴───────▶ revoked             ▼
 *                                     (out of the JWKS at once)                                          gone once every token it
 *                                                                                                        signed has expired
 *
 * Every alg always has one published `next` key: the first start mints an active and a next key
 * per alg (the first active key signs at once: nothing can have cached a JWKS before the server
 * existed), and every promotion or revocation of a `next` key mints its replacement in the same
 * change. So a rotation, scheduled or asked for (`keys rotate`, `keys revoke <active kid>`),
 * promotes a key every verifier's cached JWKS already holds, once it has been published for the
 * pre-publication time; until then the plan refuses with KeyNotReadyError, which says when it
 * will be possible (the key manager waits and plans again). `activation: 'unpublished'` is the
 * operator's explicit way round (a `next` key they no longer trust): a freshly minted key signs at
 * once, and verifiers with a cached JWKS miss its kid until they refetch.
 *
 * An alg added to SIGNING_ALGS later (ES256, beside the RS256 and EdDSA of the first releases)
 * meets a database that holds keys of the other algs and none of its own: the first start of the
 * new version treats that alg like an empty database and makes its first key active at once,
 * beside a fresh `next` key, before it accepts requests. That is safe for the same reason: nothing
 * has ever been signed with the new alg, and only clients registered for it (`clients create
 * --alg ES256`, possible only once this version runs) receive its tokens, so no verifier holds a
 * token it could fail on; a verifier whose cached JWKS predates the key meets an unknown kid on
 * such a client's first token and refetches (jose's `createRemoteJWKSet` and the SDK do, at most
 * once per short cooldown). Waiting for the
 * pre-publication time instead would leave those clients without tokens for JWKS_MAX_AGE, and the
 * server not ready (readiness needs an active key per alg).
 *
 * Each function returns the changes to apply (or none); callers apply them with a compare-and-set
 * on the key-state version, so two processes that plan at once never both win. New keys come from
 * `mint`, so the plan itself stays deterministic for a given clock. `applyChanges` and
 * `invariantViolations` let the key manager (and the tests) check a plan's outcome before it is
 * written: exactly one active and one next key per alg, nothing published without a private half.
 */
import type { KeyChanges, SigningAlg, SigningKeyRecord } from '../storage/keys.js';
import { SIGNING_ALGS } from '../storage/keys.js';

export interface LifecyclePolicy {
  readonly rotationIntervalSeconds: number;
  /** How long a key is published as `next` before it signs: at least the JWKS max-age. */
  readonly prePublishSeconds: number;
  /** How long a retired key stays published: the longest token lifetime plus clock skew. */
  readonly retainSeconds: number;
}

export type Mint = (alg: SigningAlg, status: 'next' | 'active', now: number) => SigningKeyRecord;

/**
 * What becomes active when an active key is replaced: the published `next` key (the default), or
 * a key minted now that has never been published (the operator insisted: `--unpublished`).
 */
export type Activation = 'published' | 'unpublished';

export class KeyLifecycleError extends Error {
  override readonly name = 'KeyLifecycleError';
}

/**
 * The `next` key of `alg` cannot be promoted yet: it has not been published for the
 * pre-publication time (`readyAt` says when it will have been), or there is none (`readyAt`
 * undefined: a key set from before next keys were always kept; the key manager mints one).
 */
export class KeyNotReadyError extends Error {
  override readonly name = 'KeyNotReadyError';
  readonly kid: string | undefined;
  readonly readyAt: number | undefined;

  constructor(
    readonly alg: SigningAlg,
    next: SigningKeyRecord | undefined,
    policy: LifecyclePolicy,
    now: number,
  ) {
    super(
      next === undefined
        ? `there is no next ${alg} key to promote yet`
        : `the next ${alg} key ${next.kid} has been published for ${Math.max(0, now - next.createdAt)} s of the ${policy.prePublishSeconds} s ` +
            `(the pre-publication time) it needs before it signs: ready in ${readyAt(next, policy) - now} s`,
    );
    this.kid = next?.kid;
    this.readyAt = next === undefined ? undefined : readyAt(next, policy);
  }
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

/** When a `next` key will have been published for the pre-publication time. */
export function readyAt(next: SigningKeyRecord, policy: LifecyclePolicy): number {
  return next.createdAt + policy.prePublishSeconds;
}

/**
 * Why the `next` keys of `algs` cannot all be promoted at `now` (undefined: they can). A missing
 * key comes first (it must be minted before anything can be waited for), then the one that becomes
 * ready last, so that one wait covers every alg.
 */
export function notReady(keys: readonly SigningKeyRecord[], algs: readonly SigningAlg[], now: number, policy: LifecyclePolicy): KeyNotReadyError | undefined {
  let latest: { alg: SigningAlg; next: SigningKeyRecord } | undefined;
  for (const alg of algs) {
    const { next } = byAlg(keys, alg);
    if (next === undefined) return new KeyNotReadyError(alg, undefined, policy, now);
    if (readyAt(next, policy) > now && (latest === undefined || readyAt(next, policy) > readyAt(latest.next, policy))) latest = { alg, next };
  }
  return latest === undefined ? undefined : new KeyNotReadyError(latest.alg, latest.next, policy, now);
}

/**
 * A new active key for `alg` (its `next` key, or a freshly minted one) and whatever keeps one
 * `next` key published: a fresh one when the `next` key was promoted or there was none.
 */
function successor(keys: readonly SigningKeyRecord[], alg: SigningAlg, now: number, activation: Activation, mint: Mint): SigningKeyRecord[] {
  const { next } = byAlg(keys, alg);
  if (activation === 'published' && next !== undefined) return [activate(next, now), mint(alg, 'next', now)];
  return next === undefined ? [mint(alg, 'active', now), mint(alg, 'next', now)] : [mint(alg, 'active', now)];
}

/** `alg`'s active key replaced by its successor at `now`; the old one starts retiring. */
function promote(keys: readonly SigningKeyRecord[], alg: SigningAlg, now: number, policy: LifecyclePolicy, activation: Activation, mint: Mint): SigningKeyRecord[] {
  const { active } = byAlg(keys, alg);
  const successors = successor(keys, alg, now, activation, mint);
  return active === undefined ? successors : [...successors, retire(active, now, policy)];
}

/**
 * What the scheduler does at `now`: make sure every alg has an active key and a published `next`
 * key, promote the `next` key once rotation is due and it has been published long enough, and drop
 * retiring keys whose tokens have all expired.
 */
export function planScheduled(keys: readonly SigningKeyRecord[], now: number, policy: LifecyclePolicy, mint: Mint): KeyChanges | undefined {
  const upsert: SigningKeyRecord[] = [];
  for (const alg of SIGNING_ALGS) {
    const { active, next } = byAlg(keys, alg);
    if (active === undefined) {
      // Empty database, an alg new in this version (its first key: see the header), or an operator
      // revoked around the scheduler: nothing signs with this alg, so signing must not wait for
      // pre-publication (the `next` key, published or not, is used).
      upsert.push(...promote(keys, alg, now, policy, 'published', mint));
    } else if (next === undefined) {
      // A key set from before `next` keys were always kept: publish one now.
      upsert.push(mint(alg, 'next', now));
    } else if (now >= (active.activatedAt ?? active.createdAt) + policy.rotationIntervalSeconds && now >= readyAt(next, policy)) {
      upsert.push(...promote(keys, alg, now, policy, 'published', mint));
    }
  }
  const remove = keys
    .filter((key) => key.status === 'retiring' && key.removeAfter !== null && key.removeAfter <= now)
    .map((key) => key.kid);
  const changes = { upsert, remove };
  return isEmpty(changes) ? undefined : changes;
}

/** A `next` key for every alg that lacks one (what `keys rotate` does first on such a key set). */
export function planMissingNext(keys: readonly SigningKeyRecord[], now: number, mint: Mint): KeyChanges | undefined {
  const upsert = SIGNING_ALGS.filter((alg) => byAlg(keys, alg).next === undefined).map((alg) => mint(alg, 'next', now));
  return upsert.length === 0 ? undefined : { upsert, remove: [] };
}

/**
 * `keys rotate`: the operator asked for it now. The `next` key becomes active once it has been
 * published for the pre-publication time (KeyNotReadyError before that), and a fresh `next` key is
 * published in its place; `unpublished` makes a freshly minted key active at once instead. The old
 * key keeps its retirement window: a rotation never removes a key with live tokens.
 */
export function planRotate(
  keys: readonly SigningKeyRecord[],
  algs: readonly SigningAlg[],
  now: number,
  policy: LifecyclePolicy,
  mint: Mint,
  activation: Activation = 'published',
): KeyChanges {
  if (activation === 'published') {
    const waiting = notReady(keys, algs, now, policy);
    if (waiting !== undefined) throw waiting;
  }
  return { upsert: algs.flatMap((alg) => promote(keys, alg, now, policy, activation, mint)), remove: [] };
}

/**
 * `keys revoke`: the key leaves the JWKS and signs nothing more. Revoking the active key makes a
 * successor active in the same change (the `next` key, under the same pre-publication rule as
 * `keys rotate`, or a fresh unpublished key), so no alg is ever left without one; revoking the
 * `next` key publishes a fresh one. The sealed private half is erased; the row stays, so
 * `keys list` shows the revocation and the kid can never be imported again.
 */
export function planRevoke(
  keys: readonly SigningKeyRecord[],
  kid: string,
  now: number,
  policy: LifecyclePolicy,
  mint: Mint,
  activation: Activation = 'published',
): KeyChanges {
  const key = keys.find((candidate) => candidate.kid === kid);
  if (key === undefined) throw new KeyLifecycleError(`no signing key with kid ${kid}`);
  if (key.status === 'revoked') return NO_CHANGES;
  const revoked: SigningKeyRecord = { ...key, status: 'revoked', revokedAt: now, removeAfter: null, sealedPrivateKey: '' };
  if (key.status === 'retiring') return { upsert: [revoked], remove: [] };
  if (key.status === 'next') return { upsert: [revoked, mint(key.alg, 'next', now)], remove: [] };
  if (activation === 'published') {
    const waiting = notReady(keys, [key.alg], now, policy);
    if (waiting !== undefined) throw waiting;
  }
  return { upsert: [...successor(keys, key.alg, now, activation, mint), revoked], remove: [] };
}

/**
 * Adds an operator-supplied key as `next`, replacing the `next` key of its alg (which has never
 * signed, so nothing depends on it). Like any `next` key it is promoted, by the schedule or by
 * `keys rotate`, once it has been published for the pre-publication time.
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
    const next = own.filter((key) => key.status === 'next').length;
    if (next !== 1) problems.push(`${next} next ${alg} keys`);
  }
  for (const key of keys) {
    if (key.status !== 'revoked' && key.sealedPrivateKey === '') problems.push(`key ${key.kid} is ${key.status} without a private half`);
  }
  return problems;
}
