/**
 * Files and folders only their owner may read. Inkan's secrets at rest (KEYS_DIR and its KEK, the
 * SQLite database with its -wal and -shm) get their mode on every start, whatever mode an
 * operator, a restored backup or an older version left them with: a chmod where it differs.
 */
import fs from 'node:fs';

export type OwnerOnlyMode = 0o700 | 0o600;

/** Narrows `file` to `mode` when it exists with another one; a missing file is left missing. */
export function restrictMode(file: string, mode: OwnerOnlyMode): void {
  let current: number;
  try {
    current = fs.statSync(file).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (current !== mode) fs.chmodSync(file, mode);
}
