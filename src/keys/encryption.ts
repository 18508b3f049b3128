/**
 * Private signing keys at rest: sealed with AES-256-GCM under a key-encryption key (KEK) that the
 * operator owns and that never enters the database, so a copy of the database alone yields no
 * signing key. The key id is bound in as associated data, so a sealed key cannot be moved to
 * another row.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { restrictMode, type OwnerOnlyMode } from '../file-modes.js';

const FORMAT = 'v1';
const KEK_FILE = 'kek';

export class KeyEncryptionError extends Error {
  override readonly name = 'KeyEncryptionError';
}

export interface KeySealer {
  seal(kid: string, pkcs8Der: Buffer): string;
  /** Throws KeyEncryptionError naming the kid when the KEK is not the one that sealed it. */
  unseal(kid: string, sealed: string): Buffer;
}

export function keySealer(kek: Buffer): KeySealer {
  if (kek.length !== 32) throw new KeyEncryptionError('the key-encryption key must be 32 bytes');
  return {
    seal(kid, pkcs8Der) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', kek, iv);
      cipher.setAAD(Buffer.from(kid, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(pkcs8Der), cipher.final()]);
      return [FORMAT, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    unseal(kid, sealed) {
      const [format, iv, ciphertext, tag] = sealed.split('.');
      if (format !== FORMAT || iv === undefined || ciphertext === undefined || tag === undefined) {
        throw new KeyEncryptionError(`signing key ${kid} is not in a sealed format this version of Inkan reads`);
      }
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(kid, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
      } catch {
        throw new KeyEncryptionError(
          `signing key ${kid} cannot be decrypted with this key-encryption key (check KEYS_DIR or KEY_ENCRYPTION_KEY)`,
        );
      }
    },
  };
}

export interface KekSource {
  readonly keysDir: string;
  /** base64, from KEY_ENCRYPTION_KEY; takes precedence over the file. */
  readonly keyEncryptionKey: string | undefined;
}

/** KEYS_DIR 0700 and the KEK 0600, whatever mode they were found with (file-modes.ts). */
function ownerOnly(file: string, mode: OwnerOnlyMode): void {
  try {
    restrictMode(file, mode);
  } catch (error) {
    throw new KeyEncryptionError(`cannot make ${file} mode ${mode.toString(8)}: ${(error as Error).message}`);
  }
}

/**
 * Reads the KEK, or creates `KEYS_DIR/kek` (mode 0600) when none exists and `mayCreate` is true.
 * Inkan only creates one when the database holds no keys: a missing KEK beside existing keys is an
 * operator error, never a reason to start afresh. KEYS_DIR is forced to 0700 and the file to 0600.
 */
export function loadKek(source: KekSource, mayCreate: boolean): Buffer {
  if (source.keyEncryptionKey !== undefined) return Buffer.from(source.keyEncryptionKey, 'base64');
  const file = path.join(source.keysDir, KEK_FILE);
  ownerOnly(source.keysDir, 0o700);
  try {
    const kek = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    ownerOnly(file, 0o600);
    if (kek.length !== 32) throw new KeyEncryptionError(`${file} must hold the base64 encoding of exactly 32 bytes`);
    return kek;
  } catch (error) {
    if (error instanceof KeyEncryptionError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new KeyEncryptionError(`cannot read the key-encryption key ${file}: ${(error as Error).message}`);
    }
  }
  if (!mayCreate) {
    throw new KeyEncryptionError(
      `no key-encryption key: ${file} does not exist and KEY_ENCRYPTION_KEY is not set, but the database holds signing keys; restore the key rather than starting afresh`,
    );
  }
  fs.mkdirSync(source.keysDir, { recursive: true, mode: 0o700 });
  ownerOnly(source.keysDir, 0o700);
  const kek = crypto.randomBytes(32);
  // 'wx': never overwrite a KEK that another process created a moment ago.
  try {
    fs.writeFileSync(file, `${kek.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadKek(source, false);
    throw error;
  }
  return kek;
}
