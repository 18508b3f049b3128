/**
 * StatusLists (revocation/status-lists.ts) on a real SQLite store: a revocation record that this
 * process already knows when a batch of issued indices commits covers the tokens of that batch —
 * the race where a record is written, and its flip has read the database, while a token covered by
 * it still waited for its commit — and a person signing in again after a log-out-everywhere is not
 * covered (no bit, no flip).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { createKnexStores } from '../../src/storage/knex/index.js';
import type { Stores } from '../../src/storage/stores.js';
import { RevocationService } from '../../src/revocation/service.js';
import { StatusLists } from '../../src/revocation/status-lists.js';

let stores: Stores | undefined;
afterEach(async () => {
  await stores?.close();
});

const clock = { nowSeconds: () => 1_000_000 };

async function statusLists() {
  stores = await createKnexStores({ engine: 'sqlite', filename: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-slr-')), 'db.sqlite') }, { migrate: true });
  const revocations = new RevocationService({ store: stores.revocations, clock, accessTokenTtlSeconds: 900 });
  const lists = new StatusLists({
    store: stores.statusLists,
    revocations,
    keyring: { signer: () => { throw new Error('not served in this test'); } },
    clock,
    issuer: 'https://id.example',
    listPath: '/status-lists',
    accessTokenTtlSeconds: 900,
    log: pino({ level: 'silent' }),
  });
  await lists.start();
  return { lists, revocations, store: stores.statusLists };
}

const person = (jti: string, iat: number) => ({ jti, sub: 'ada', client_id: 'web', sid: 's1', grant_id: 'g1', iat, exp: iat + 900 });
const listIdOf = (uri: string) => uri.slice('https://id.example/status-lists/'.length);

it('sets the bit of a token whose index committed after a record that covers it was written and flipped', async () => {
  const { lists, revocations, store } = await statusLists();
  const now = clock.nowSeconds();
  const reference = lists.reference(person('t1', now))!;
  // The record is written and flipped while t1's index is still in the open batch (not in the database).
  const record = await revocations.revoke({ kind: 'subject', sub: 'ada' });
  expect(await lists.flip(record)).toBe(0);
  await lists.durable();
  // The commit found the record it already knew, and flipped it again.
  await lists.stop();
  expect(await store.revokedIndexes(listIdOf(reference.uri), now)).toEqual([reference.idx]);
});

it('leaves a later sign-in of the same person alone: no bit, for a token issued after the record', async () => {
  const { lists, revocations, store } = await statusLists();
  const now = clock.nowSeconds();
  const before = lists.reference(person('t1', now))!;
  await lists.durable();
  await revocations.revoke({ kind: 'subject', sub: 'ada' });
  const after = lists.reference({ ...person('t2', now + 1), grant_id: 'g2', sid: 's2' })!;
  await lists.durable();
  await lists.stop();
  expect(await store.revokedIndexes(listIdOf(before.uri), now)).toEqual([before.idx]);
  expect(after.idx).not.toBe(before.idx);
});
