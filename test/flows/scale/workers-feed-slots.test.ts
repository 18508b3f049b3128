/**
 * FEED_MAX_STREAMS_PER_CLIENT holds for the whole server when `npm start` runs two workers: the
 * primary counts every worker's revocation-feed streams (src/revocation/feed-slots.ts), so a client
 * at its limit is refused by either worker, even by one that holds fewer streams of its own; a
 * stream that ends frees its slot, and so does every stream of a worker that dies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killServerProcesses } from '../../helpers/server-process.js';
import { eventually } from '../../helpers/eventually.js';
import { answeredBy, childPids, createClient, freshRequest, freshToken, linesOf, startWorkers, subscribeFeed, type FeedSubscriber, type Workers } from './workers.js';

afterAll(() => killServerProcesses());

const LIMIT = 2;

describe('FEED_MAX_STREAMS_PER_CLIENT across two workers', () => {
  let workers: Workers;
  let bearer: string;
  const opened: FeedSubscriber[] = [];

  beforeAll(async () => {
    workers = await startWorkers({ FEED_MAX_STREAMS_PER_CLIENT: String(LIMIT) });
    const reader = await createClient(workers, ['--name', 'capped-rs', '--scope', 'revocations:read']);
    const token = await freshToken(workers.server.issuer, reader, 'revocations:read');
    expect(token.status).toBe(200);
    bearer = token.accessToken!;
  }, 120_000);
  afterAll(() => {
    for (const feed of opened) feed.close();
  });

  /** A stream on a fresh connection (node:cluster deals fresh connections to the workers in turn), once its status came. */
  const open = async (): Promise<FeedSubscriber & { answered: number }> => {
    const feed = subscribeFeed(workers.server.issuer, bearer);
    opened.push(feed);
    return { ...feed, answered: await feed.status };
  };

  /** Opens streams until one is accepted (a slot given back reaches the primary a moment later). */
  const openAccepted = async (): Promise<FeedSubscriber> => {
    let feed: (FeedSubscriber & { answered: number }) | undefined;
    await eventually(async () => {
      feed?.close();
      feed = await open();
      return feed.answered === 200;
    }, 15_000, 50);
    return feed!;
  };

  it('refuses one more than the limit on either worker, though each holds fewer streams of its own', { timeout: 60_000 }, async () => {
    const feeds: (FeedSubscriber & { answered: number })[] = [];
    for (let i = 0; i < 2 * LIMIT; i += 1) feeds.push(await open());
    expect(feeds.map((feed) => feed.answered)).toEqual([200, 200, 429, 429]);
    for (const refused of feeds.slice(LIMIT)) {
      await refused.ended;
      expect(JSON.parse(refused.raw())).toEqual({ error: 'temporarily_unavailable', error_description: 'this client already holds every revocation-feed stream it may open' });
    }
    const workerOf = await answeredBy(workers.server, feeds.map((feed) => feed.requestId));
    const accepted = feeds.slice(0, LIMIT).map((feed) => workerOf.get(feed.requestId));
    const refusedBy = feeds.slice(LIMIT).map((feed) => workerOf.get(feed.requestId));
    // Both workers refused, each holding one stream: counted per worker, both would have accepted.
    expect(new Set(refusedBy)).toEqual(new Set([0, 1]));
    for (const slot of refusedBy) expect(accepted.filter((each) => each === slot)).toHaveLength(1);

    // A stream that ends gives its slot back to the machine.
    feeds[0]!.close();
    const replacement = await openAccepted();
    expect((await open()).answered).toBe(429);
    replacement.close();
    feeds[1]!.close();
  });

  it('gives back every slot of a worker that dies', { timeout: 120_000 }, async () => {
    const held = [await openAccepted(), await openAccepted()];
    expect((await open()).answered).toBe(429);
    const workerOf = await answeredBy(workers.server, held.map((feed) => feed.requestId));
    const doomedSlot = workerOf.get(held[0]!.requestId)!;
    const lost = held.filter((feed) => workerOf.get(feed.requestId) === doomedSlot);
    // Slot 0 was forked first and nothing was restarted yet, so the pids are in slot order (the log checks it below).
    const deaths = linesOf(workers.server, 'cluster.worker_exited').length;
    const victim = childPids(workers.server.pid)[doomedSlot]!;
    process.kill(victim, 'SIGKILL');
    // No request before the primary has reaped it (workers.test.ts: node:cluster's round robin).
    await eventually(() => !childPids(workers.server.pid).includes(victim), 20_000, 5);
    await eventually(() => linesOf(workers.server, 'cluster.worker_exited').length > deaths, 10_000, 100);
    expect(linesOf(workers.server, 'cluster.worker_exited').at(-1)!.slot).toBe(doomedSlot);
    await eventually(async () => (await freshRequest(`${workers.server.issuer}/readyz`)).status === 200, 60_000, 50);
    // As many new streams as the dead worker held are accepted again, and no more.
    for (let i = 0; i < lost.length; i += 1) await openAccepted();
    expect((await open()).answered).toBe(429);
  });
});
