/**
 * The DPoP proofs this verifier has accepted (RFC 9449 §11.1): a proof's `jti` is single use per
 * key, remembered until the proof would be refused for its age anyway. In this process's memory
 * only: a replay to another instance of the resource server is not seen, and the proof's short
 * `iat` window bounds that. The map is bounded, so a flood of proofs cannot grow it without end:
 * at the bound, expired entries are purged first, then the oldest entry makes room.
 */
import { fail } from './errors.js';

/** Proofs are short-lived, so this is many requests a minute. */
const MAX_REMEMBERED_PROOFS = 100_000;

export class DpopReplayCache {
  /** `jkt jti` → until when (ms) the proof is remembered. */
  private readonly seen = new Map<string, number>();

  /** Refuses a proof seen before (ERR_DPOP_REPLAYED); remembers it until `untilMs` otherwise. */
  useOnce(jkt: string, jti: string, untilMs: number, nowMs: number): void {
    const key = `${jkt} ${jti}`;
    const until = this.seen.get(key);
    if (until !== undefined && until > nowMs) fail('ERR_DPOP_REPLAYED', 'the DPoP proof was already used');
    if (this.seen.size >= MAX_REMEMBERED_PROOFS) this.purge(nowMs);
    if (this.seen.size >= MAX_REMEMBERED_PROOFS) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, untilMs);
  }

  /** Forgets proofs that are too old to be accepted again. */
  purge(nowMs: number): void {
    for (const [key, until] of this.seen) if (until <= nowMs) this.seen.delete(key);
  }
}
