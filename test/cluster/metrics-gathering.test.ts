/**
 * The primary's side of a scrape (src/cluster/metrics-gathering.ts), with stand-in workers: it asks
 * every serving worker once, merges their answers (counters summed), does not wait for a worker that
 * exited, ignores answers nobody asked for, and fails a scrape that a worker leaves unanswered for
 * 5 s (a partial sum would look like a counter reset to Prometheus).
 */
import type { Worker } from 'node:cluster';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MetricsGathering } from '../../src/cluster/metrics-gathering.js';
import type { MetricsSnapshot } from '../../src/metrics/cluster-metrics.js';
import { sample } from '../helpers/operations.js';

const worker = (id: number) => ({ id }) as unknown as Worker;

/** One worker's snapshot (prom-client's metrics JSON): `tokens` issued by the client `c`. */
const snapshot = (tokens: number): MetricsSnapshot => [
  { name: 'inkan_tokens_issued_total', help: 'Access tokens issued', type: 'counter', aggregator: 'sum', values: [{ value: tokens, labels: { client_id: 'c' } }] },
];

function gathering() {
  const asked: [Worker, number][] = [];
  const metrics = new MetricsGathering((to, id) => asked.push([to, id]));
  return { metrics, asked };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MetricsGathering', () => {
  it('asks every worker once with one id, and sums their counters once all have answered', async () => {
    const { metrics, asked } = gathering();
    const [a, b] = [worker(1), worker(2)];
    let settled = false;
    const scrape = metrics.gather([a, b]).finally(() => (settled = true));
    expect(asked.map(([to]) => to)).toEqual([a, b]);
    const id = asked[0]![1];
    expect(asked[1]![1]).toBe(id);
    metrics.collected(a, id, snapshot(3));
    await Promise.resolve();
    expect(settled).toBe(false);
    metrics.collected(b, id, snapshot(4));
    const { body, contentType } = await scrape;
    expect(contentType).toMatch(/^text\/plain/);
    expect(sample(body, 'inkan_tokens_issued_total', { client_id: 'c' })).toBe(7);
  });

  it('counts each worker once: a second answer, an answer to another id or from a worker not asked is ignored', async () => {
    const { metrics, asked } = gathering();
    const [a, b, stranger] = [worker(1), worker(2), worker(3)];
    const scrape = metrics.gather([a, b]);
    const id = asked[0]![1];
    metrics.collected(a, id, snapshot(3));
    metrics.collected(a, id, snapshot(100));
    metrics.collected(stranger, id, snapshot(100));
    metrics.collected(b, id + 1, snapshot(100));
    metrics.collected(b, id, snapshot(4));
    expect(sample((await scrape).body, 'inkan_tokens_issued_total', { client_id: 'c' })).toBe(7);
  });

  it('keeps concurrent scrapes apart', async () => {
    const { metrics, asked } = gathering();
    const a = worker(1);
    const first = metrics.gather([a]);
    const second = metrics.gather([a]);
    const [firstId, secondId] = asked.map(([, id]) => id);
    expect(firstId).not.toBe(secondId);
    metrics.collected(a, secondId!, snapshot(2));
    metrics.collected(a, firstId!, snapshot(1));
    expect(sample((await first).body, 'inkan_tokens_issued_total', { client_id: 'c' })).toBe(1);
    expect(sample((await second).body, 'inkan_tokens_issued_total', { client_id: 'c' })).toBe(2);
  });

  it('does not wait for a worker that exited: the scrape has the others’ metrics', async () => {
    const { metrics, asked } = gathering();
    const [a, b] = [worker(1), worker(2)];
    const scrape = metrics.gather([a, b]);
    metrics.collected(a, asked[0]![1], snapshot(3));
    metrics.gone(b);
    expect(sample((await scrape).body, 'inkan_tokens_issued_total', { client_id: 'c' })).toBe(3);
  });

  it('answers at once, with no samples, when no worker serves', async () => {
    const { metrics, asked } = gathering();
    const { body } = await metrics.gather([]);
    expect(asked).toEqual([]);
    expect(sample(body, 'inkan_tokens_issued_total')).toBeUndefined();
  });

  it('fails the scrape when a worker has not answered within 5 s, and ignores its late answer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { metrics, asked } = gathering();
    const [a, b] = [worker(1), worker(2)];
    const scrape = metrics.gather([a, b]);
    const outcome = scrape.then(() => 'answered', (error: Error) => error.message);
    metrics.collected(a, asked[0]![1], snapshot(3));
    vi.advanceTimersByTime(4999);
    await Promise.resolve();
    vi.advanceTimersByTime(1);
    expect(await outcome).toBe('1 worker(s) did not send their metrics within 5000 ms');
    metrics.collected(b, asked[0]![1], snapshot(4));
  });
});
