/**
 * Secrets at rest are the owner's alone after a real start: KEYS_DIR 0700, its KEK 0600, the
 * SQLite database and its -wal and -shm files 0600, on a fresh start and after an operator (or a
 * restored backup) left them readable by others.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { startInkan, testEnv } from '../../helpers/inkan.js';

const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

it('KEYS_DIR is 0700, the KEK and the SQLite files 0600, on a fresh start and when found wider', async () => {
  const base = testEnv();
  const keys = path.join(base.dir, 'keys');
  const database = path.join(base.dir, 'inkan.sqlite');
  const expectOwnerOnly = () => {
    expect(mode(keys)).toBe('700');
    expect(mode(path.join(keys, 'kek'))).toBe('600');
    for (const file of [database, `${database}-wal`, `${database}-shm`]) expect(mode(file)).toBe('600');
  };

  // The process' umask would otherwise give 0755 folders and 0644 files.
  expect(process.umask() & 0o077).not.toBe(0o077);
  const fresh = await startInkan({ testEnv: base });
  expectOwnerOnly();
  await fresh.stop();

  fs.chmodSync(keys, 0o755);
  fs.chmodSync(path.join(keys, 'kek'), 0o644);
  fs.chmodSync(database, 0o644);
  for (const file of [`${database}-wal`, `${database}-shm`]) if (fs.existsSync(file)) fs.chmodSync(file, 0o644);
  const again = await startInkan({ testEnv: base });
  try {
    expectOwnerOnly();
  } finally {
    await again.stop();
  }
});

it('a KEYS_DIR that exists before the first start is narrowed to 0700 too', async () => {
  const base = testEnv();
  const keys = path.join(base.dir, 'keys');
  fs.mkdirSync(keys, { mode: 0o755 });
  fs.chmodSync(keys, 0o755);
  const server = await startInkan({ testEnv: base });
  try {
    expect(mode(keys)).toBe('700');
    expect(mode(path.join(keys, 'kek'))).toBe('600');
  } finally {
    await server.stop();
  }
});
