/**
 * FEED_MAX_STREAMS_PER_CLIENT: how many revocation-feed streams one client may hold open at once
 * on a server. A lone process counts them itself (`localFeedSlots`); the workers of a cluster ask
 * their primary, which counts for the whole machine (cluster/primary.ts, cluster/worker.ts), so
 * the limit is the same whatever WORKERS says.
 */

/** Gives a slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

export interface FeedSlots {
  /** One of the client's slots and its release, or undefined when the client holds every slot. */
  reserve(clientId: string): Promise<ReleaseSlot | undefined>;
}

/**
 * Open streams per client, and which holder (a process) holds them, so that a holder that is gone
 * (a worker that died, with every stream it served) gives all of its slots back at once.
 */
export class FeedSlotCounts<Holder = undefined> {
  private readonly perClient = new Map<string, number>();
  private readonly perHolder = new Map<Holder, Map<string, number>>();

  constructor(private readonly maxPerClient: number) {}

  /** Takes a slot for `holder`: false when the client holds every slot already. */
  take(clientId: string, holder: Holder): boolean {
    const open = this.perClient.get(clientId) ?? 0;
    if (open >= this.maxPerClient) return false;
    this.perClient.set(clientId, open + 1);
    const held = this.perHolder.get(holder) ?? new Map<string, number>();
    held.set(clientId, (held.get(clientId) ?? 0) + 1);
    this.perHolder.set(holder, held);
    return true;
  }

  /** Gives back one of the client's slots that `holder` took (nothing when it holds none). */
  give(clientId: string, holder: Holder, count = 1): void {
    const held = this.perHolder.get(holder);
    const holding = held?.get(clientId) ?? 0;
    const given = Math.min(count, holding);
    if (given === 0) return;
    decrement(held!, clientId, given);
    if (held!.size === 0) this.perHolder.delete(holder);
    decrement(this.perClient, clientId, given);
  }

  /** Gives back every slot `holder` took. */
  forget(holder: Holder): void {
    for (const [clientId, count] of [...(this.perHolder.get(holder) ?? [])]) this.give(clientId, holder, count);
  }
}

function decrement(counts: Map<string, number>, key: string, by: number): void {
  const left = (counts.get(key) ?? 0) - by;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}

/** The slots of a lone process. */
export function localFeedSlots(maxPerClient: number): FeedSlots {
  const counts = new FeedSlotCounts(maxPerClient);
  return {
    reserve: async (clientId) => (counts.take(clientId, undefined) ? releaseOnce(() => counts.give(clientId, undefined)) : undefined),
  };
}

/** `give` wrapped so that only its first call gives the slot back. */
export function releaseOnce(give: () => void): ReleaseSlot {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    give();
  };
}
