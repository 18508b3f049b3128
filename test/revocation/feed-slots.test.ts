/**
 * FEED_MAX_STREAMS_PER_CLIENT's counting (src/revocation/feed-slots.ts): a lone process's slots,
 * and the counts a cluster's primary keeps for every worker, where a dead worker gives back every
 * slot it held. (test/flows/scale/workers-feed-slots.test.ts checks the limit across real workers.)
 */
import { describe, expect, it } from 'vitest';
import { FeedSlotCounts, localFeedSlots } from '../../src/revocation/feed-slots.js';

describe('a lone process’s feed slots', () => {
  it('lets one client hold at most its slots; a release, given once however often it is called, frees one', async () => {
    const slots = localFeedSlots(2);
    const first = await slots.reserve('rs');
    const second = await slots.reserve('rs');
    expect(first).toBeTypeOf('function');
    expect(second).toBeTypeOf('function');
    expect(await slots.reserve('rs')).toBeUndefined();
    expect(await slots.reserve('other')).toBeTypeOf('function');
    first!();
    first!();
    expect(await slots.reserve('rs')).toBeTypeOf('function');
    expect(await slots.reserve('rs')).toBeUndefined();
  });
});

describe('the counts for every worker of a machine', () => {
  it('counts a client’s slots over all holders', () => {
    const counts = new FeedSlotCounts<string>(3);
    expect(counts.take('rs', 'worker 1')).toBe(true);
    expect(counts.take('rs', 'worker 2')).toBe(true);
    expect(counts.take('rs', 'worker 2')).toBe(true);
    expect(counts.take('rs', 'worker 1')).toBe(false);
    expect(counts.take('other', 'worker 1')).toBe(true);
    counts.give('rs', 'worker 2');
    expect(counts.take('rs', 'worker 1')).toBe(true);
    expect(counts.take('rs', 'worker 1')).toBe(false);
  });

  it('ignores a holder giving back a slot it does not hold', () => {
    const counts = new FeedSlotCounts<string>(1);
    expect(counts.take('rs', 'worker 1')).toBe(true);
    counts.give('rs', 'worker 2');
    counts.give('other', 'worker 1');
    expect(counts.take('rs', 'worker 2')).toBe(false);
  });

  it('gives back every slot of a holder that is gone, and only its', () => {
    const counts = new FeedSlotCounts<string>(2);
    expect(counts.take('rs', 'worker 1')).toBe(true);
    expect(counts.take('rs', 'worker 2')).toBe(true);
    expect(counts.take('other', 'worker 1')).toBe(true);
    expect(counts.take('other', 'worker 1')).toBe(true);
    counts.forget('worker 1');
    expect(counts.take('rs', 'worker 3')).toBe(true);
    expect(counts.take('rs', 'worker 3')).toBe(false);
    expect(counts.take('other', 'worker 3')).toBe(true);
    expect(counts.take('other', 'worker 3')).toBe(true);
    expect(counts.take('other', 'worker 3')).toBe(false);
  });
});
