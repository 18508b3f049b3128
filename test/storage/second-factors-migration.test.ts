/**
 * Migration 0017_second_factors on a database that already holds a session: every sign-in before
 * it was a password sign-in, so the session reads back with the methods `pwd` (and its tokens get
 * `amr: ["pwd"]`, `acr: "urn:inkan:acr:pwd"`); and the migration goes down and up again cleanly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/knex/connection.js';
import { knexSessionStore } from '../../src/storage/knex/session-store.js';

it('reads the sessions from before it as password sign-ins, and rolls back and forth', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-migration-'));
  const db = openDatabase({ engine: 'sqlite', filename: path.join(dir, 'inkan.sqlite') });
  try {
    for (;;) {
      const [, pending] = (await db.migrate.list()) as [unknown, { name: string }[]];
      if (pending[0]?.name === '0017_second_factors') break;
      await db.migrate.up();
    }
    const at = 1_700_000_000;
    await db('users').insert({ id: 'u-1', email: 'ada@example.com', email_normalized: 'ada@example.com', name: null, password_hash: 'x', disabled_at: null, created_at: at });
    await db('sessions').insert({ id: 's-1', secret_hash: 'a'.repeat(64), user_id: 'u-1', auth_time: at, created_at: at, expires_at: at + 3600, ended_at: null });
    await db.migrate.latest();
    expect((await knexSessionStore(db).find('s-1'))?.authMethods).toEqual(['pwd']);
    // The batch `latest` applied: 0017 and every migration after it.
    await db.migrate.rollback();
    expect(await db.schema.hasTable('totp_factors')).toBe(false);
    expect(await db.schema.hasColumn('sessions', 'auth_methods')).toBe(false);
    await db.migrate.latest();
    expect(await db.schema.hasTable('recovery_codes')).toBe(true);
  } finally {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
