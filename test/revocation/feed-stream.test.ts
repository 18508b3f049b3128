/**
 * RevocationFeed without HTTP: heartbeats while idle, the end of the stream at the subscriber's
 * token expiry, at shutdown and at a record covering the subscriber's own token, and the
 * resume/snapshot decision for each kind of cursor (the per-client stream cap: feed-slots.test.ts).
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import { pino } from 'pino';
import { parseCursor, RevocationFeed } from '../../src/revocation/feed.js';
import { localFeedSlots } from '../../src/revocation/feed-slots.js';
import { jwtSigner } from '../../src/keys/jwt-signer.js';
import type { RevocationRecord } from '../../src/storage/revocations.js';
import { freshPrivateKey } from '../../src/keys/material.js';

function fakeFeed(records: RevocationRecord[], heartbeatIntervalMs = 40) {
  const listeners = new Set<(record: RevocationRecord) => void>();
  const signer = jwtSigner('k1', 'EdDSA', freshPrivateKey('ed25519'));
  const feed = new RevocationFeed({
    revocations: {
      onRevoked: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      sync: async () => {},
      snapshot: () => [...records],
      get latestId() {
        return records.at(-1)?.id ?? 0;
      },
    },
    keyring: { signer: () => signer },
    issuer: 'https://issuer.example',
    log: pino({ level: 'silent' }),
    heartbeatIntervalMs,
    slots: localFeedSlots(2),
  });
  const push = (record: RevocationRecord) => {
    records.push(record);
    for (const listener of listeners) listener(record);
  };
  return { feed, push };
}

const rec = (id: number): RevocationRecord => ({ id, target: { kind: 'jti', jti: `j${id}` }, createdAt: 1, expiresAt: 4_000_000_000 });
const subscriber = { jti: 'subscriber-jti', sub: 'rs', client_id: 'rs', iat: 100 };

it('sends heartbeats while idle and ends the stream when the subscriber token expires', async () => {
  const { feed } = fakeFeed([rec(1)]);
  const chunks: string[] = [];
  const started = Date.now();
  await feed.stream(undefined, { write: async (chunk) => void chunks.push(chunk) }, { signal: new AbortController().signal, untilMs: Date.now() + 200, subscriber });
  expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  expect(chunks[0]).toBe('retry: 1000\n\n');
  expect(chunks[1]).toBe('event: reset\ndata: {}\n\n');
  expect(chunks[2]).toMatch(/^id: 1\nevent: revocation\ndata: [\w-]+\.[\w-]+\.[\w-]+\n\n$/);
  expect(chunks[3]).toBe('event: ready\ndata: {"last_event_id":1}\n\n');
  expect(chunks.filter((chunk) => chunk === ': heartbeat\n\n').length).toBeGreaterThanOrEqual(2);
  expect(feed.subscribers).toBe(0);
});

it('resumes from a cursor it holds, snapshots for one it cannot, and pushes live records; close() ends every stream', async () => {
  const { feed, push } = fakeFeed([rec(3), rec(4), rec(5)], 10_000);
  const run = (cursor: string | undefined) => {
    const chunks: string[] = [];
    const done = feed.stream(cursor, { write: async (chunk) => void chunks.push(chunk) }, { signal: new AbortController().signal, untilMs: Date.now() + 60_000, subscriber });
    return { chunks, done, ids: () => chunks.flatMap((chunk) => /^id: (\d+)/.exec(chunk)?.[1] ?? []).map(Number) };
  };
  const resumed = run('4');
  const ahead = run('99');
  const old = run('1');
  const garbage = run('abc');
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(resumed.ids()).toEqual([5]);
  expect(resumed.chunks.some((chunk) => chunk.startsWith('event: reset'))).toBe(false);
  for (const full of [ahead, old, garbage]) {
    expect(full.chunks[1]).toBe('event: reset\ndata: {}\n\n');
    expect(full.ids()).toEqual([3, 4, 5]);
  }
  push(rec(6));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(resumed.ids()).toEqual([5, 6]);
  expect(feed.subscribers).toBe(4);
  feed.close();
  await Promise.all([resumed.done, ahead.done, old.done, garbage.done]);
  expect(feed.subscribers).toBe(0);
});

it('ends a stream after sending the record that covers its own token, live or in the backlog', async () => {
  const { feed, push } = fakeFeed([rec(1)], 10_000);
  const chunks: string[] = [];
  const done = feed.stream(undefined, { write: async (chunk) => void chunks.push(chunk) }, { signal: new AbortController().signal, untilMs: Date.now() + 60_000, subscriber });
  await new Promise((resolve) => setTimeout(resolve, 20));
  push({ id: 2, target: { kind: 'client', clientId: 'other', notBefore: 200 }, createdAt: 150, expiresAt: 4_000_000_000 });
  push({ id: 3, target: { kind: 'client', clientId: 'rs', notBefore: 200 }, createdAt: 150, expiresAt: 4_000_000_000 });
  push({ id: 4, target: { kind: 'jti', jti: 'after' }, createdAt: 150, expiresAt: 4_000_000_000 });
  await done;
  expect(chunks.flatMap((chunk) => /^id: (\d+)/.exec(chunk)?.[1] ?? []).map(Number)).toEqual([1, 2, 3]);
  expect(feed.subscribers).toBe(0);

  const backlog: string[] = [];
  await feed.stream(undefined, { write: async (chunk) => void backlog.push(chunk) }, {
    signal: new AbortController().signal,
    untilMs: Date.now() + 60_000,
    subscriber: { ...subscriber, jti: 'after', client_id: 'another' },
  });
  expect(backlog.flatMap((chunk) => /^id: (\d+)/.exec(chunk)?.[1] ?? []).map(Number)).toEqual([1, 2, 3, 4]);
  expect(backlog.some((chunk) => chunk.startsWith('event: ready'))).toBe(false);
});

it('parses Last-Event-ID strictly', () => {
  expect(parseCursor('12')).toBe(12);
  for (const bad of [undefined, '', '0', '-1', '1e3', 'x', '9'.repeat(20)]) expect(parseCursor(bad)).toBeUndefined();
});
