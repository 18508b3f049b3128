/**
 * The group commit of issued status-list indices (revocation/issued-status-log.ts): everything
 * added while the event loop was busy goes out in one commit, grouped by list, owner and second;
 * `durable()` resolves only once what was added before it is committed; a failed commit fails its
 * waiters, keeps its rows for the next commit, and a caller asking after the failure waits for them.
 */
import { expect, it } from 'vitest';
import { IssuedStatusLog, type IssuedIndex } from '../../src/revocation/issued-status-log.js';
import type { IssuedStatusIndexes } from '../../src/storage/status-lists.js';

function fakeStore() {
  const commits: IssuedStatusIndexes[][] = [];
  let failNext = 0;
  let release: (() => void) | undefined;
  let hold = false;
  const store = {
    async recordIssued(batch: readonly IssuedStatusIndexes[]) {
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      if (failNext > 0) {
        failNext -= 1;
        throw new Error('database is down');
      }
      commits.push(batch.map((row) => ({ ...row, indexes: [...row.indexes] })));
    },
  };
  return {
    store,
    commits,
    failNextCommit: () => (failNext += 1),
    holdCommits: (on: boolean) => (hold = on),
    releaseCommit: () => release?.(),
  };
}

const token = (idx: number, owners: string[], issuedAt = 100): IssuedIndex => ({ listId: 'L', idx, owners, issuedAt, expiresAt: issuedAt + 900 });

it('commits what arrived together in one write, grouped by list, owner and second, and tells whose owners', async () => {
  const fake = fakeStore();
  const committed: Array<Array<[string, number]>> = [];
  const log = new IssuedStatusLog({ store: fake.store, onCommitted: (owners) => committed.push([...owners]), onFailed: () => {} });
  log.add(token(1, ['client:a', 'sub:a']));
  log.add(token(2, ['client:a', 'sub:a']));
  log.add(token(3, ['client:b', 'sub:u', 'grant:g'], 101));
  log.add(token(4, ['client:b'], 102));
  await Promise.all([log.durable(), log.durable(), log.durable()]);
  expect(fake.commits).toHaveLength(1);
  expect(fake.commits[0]).toEqual([
    { listId: 'L', owner: 'client:a', issuedAt: 100, expiresAt: 1000, indexes: [1, 2] },
    { listId: 'L', owner: 'sub:a', issuedAt: 100, expiresAt: 1000, indexes: [1, 2] },
    { listId: 'L', owner: 'client:b', issuedAt: 101, expiresAt: 1001, indexes: [3] },
    { listId: 'L', owner: 'sub:u', issuedAt: 101, expiresAt: 1001, indexes: [3] },
    { listId: 'L', owner: 'grant:g', issuedAt: 101, expiresAt: 1001, indexes: [3] },
    { listId: 'L', owner: 'client:b', issuedAt: 102, expiresAt: 1002, indexes: [4] },
  ]);
  // Each owner once, with the earliest iat of its tokens in the batch.
  expect(committed).toEqual([[['client:a', 100], ['sub:a', 100], ['client:b', 101], ['sub:u', 101], ['grant:g', 101]]]);
  // Nothing pending: durable() answers at once, and no empty commit is written.
  await log.durable();
  expect(fake.commits).toHaveLength(1);
});

it('makes a caller whose rows are in the commit under way wait for that commit', async () => {
  const fake = fakeStore();
  const log = new IssuedStatusLog({ store: fake.store, onCommitted: () => {}, onFailed: () => {} });
  fake.holdCommits(true);
  log.add(token(1, ['client:a']));
  const first = log.durable();
  await new Promise((resolve) => setImmediate(resolve));
  let settled = false;
  const second = log.durable().then(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(settled).toBe(false);
  fake.holdCommits(false);
  fake.releaseCommit();
  await Promise.all([first, second]);
  expect(fake.commits).toHaveLength(1);
});

it('fails the waiters of a failed commit, keeps its rows, and makes whoever asks next wait for them', async () => {
  const fake = fakeStore();
  const failures: unknown[] = [];
  const log = new IssuedStatusLog({ store: fake.store, onCommitted: () => {}, onFailed: (error) => failures.push(error) });
  fake.failNextCommit();
  log.add(token(1, ['client:a']));
  await expect(log.durable()).rejects.toThrow('database is down');
  expect(failures).toHaveLength(1);
  expect(fake.commits).toHaveLength(0);
  log.add(token(2, ['client:a']));
  await log.durable();
  expect(fake.commits).toEqual([[{ listId: 'L', owner: 'client:a', issuedAt: 100, expiresAt: 1000, indexes: [1, 2] }]]);
});

it('makes a caller that asks while a failing commit is under way wait for the retry of its rows', async () => {
  const fake = fakeStore();
  const log = new IssuedStatusLog({ store: fake.store, onCommitted: () => {}, onFailed: () => {} });
  fake.holdCommits(true);
  fake.failNextCommit();
  log.add(token(1, ['client:a']));
  const first = log.durable();
  await new Promise((resolve) => setImmediate(resolve));
  // Its rows are in the commit under way, which will fail: this caller must not be told "durable" then.
  const late = log.durable();
  fake.holdCommits(false);
  fake.releaseCommit();
  await expect(first).rejects.toThrow('database is down');
  await late;
  expect(fake.commits).toEqual([[{ listId: 'L', owner: 'client:a', issuedAt: 100, expiresAt: 1000, indexes: [1] }]]);
});
