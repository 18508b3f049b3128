/**
 * The bit array of a Token Status List (draft-ietf-oauth-status-list §4): entries of `bits` bits
 * packed least-significant bit first, DEFLATE-compressed in zlib format, base64url in `lst`.
 * Pure and shared: the server encodes with it, the verifier SDK decodes with it.
 * Status values: 0 valid, 1 invalid (revoked), 2 suspended.
 */
import zlib from 'node:zlib';

export type StatusBits = 1 | 2 | 4 | 8;

/** A status list token's `lst` is at most this big once inflated (a DEFLATE bomb stops here). */
export const MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024;

export function isStatusBits(value: unknown): value is StatusBits {
  return value === 1 || value === 2 || value === 4 || value === 8;
}

/** base64url(zlib(bytes)) at the best compression (the draft's test vectors use level 9). */
export function encodeStatusList(bytes: Uint8Array): string {
  return zlib.deflateSync(bytes, { level: 9 }).toString('base64url');
}

/** Throws on anything that is not base64url of a zlib stream within the size limit. */
export function decodeStatusList(lst: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(lst)) throw new Error('lst is not base64url');
  return new Uint8Array(zlib.inflateSync(Buffer.from(lst, 'base64url'), { maxOutputLength: MAX_STATUS_LIST_BYTES }));
}

/** The status of entry `index`; entries beyond the array read as 0 would hide a bug, so they throw. */
export function statusAt(bytes: Uint8Array, bits: StatusBits, index: number): number {
  const bitOffset = index * bits;
  const byte = bytes[bitOffset >> 3];
  if (!Number.isSafeInteger(index) || index < 0 || byte === undefined) throw new RangeError(`status index ${index} is outside the list`);
  return (byte >> (bitOffset & 7)) & ((1 << bits) - 1);
}

/** Sets a one-bit entry (the server's lists are `bits: 1`). */
export function setBit(bytes: Uint8Array, index: number): void {
  const byteIndex = index >> 3;
  if (index < 0 || byteIndex >= bytes.length) throw new RangeError(`status index ${index} is outside the list`);
  bytes[byteIndex] = (bytes[byteIndex] ?? 0) | (1 << (index & 7));
}
