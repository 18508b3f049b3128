/**
 * The Token Status List encoding of the SDK's protocol module (`@inkan/verifier/protocol`, which
 * Inkan's status lists use too), against the test vector of draft-ietf-oauth-status-list.
 */
import { describe, expect, it } from 'vitest';
import { decodeStatusList, encodeStatusList, setBit, statusAt } from '@inkan/verifier/protocol';

describe('encoding (draft-ietf-oauth-status-list test vector)', () => {
  it('packs 16 one-bit entries LSB first into B9 A3 and compresses them to 78dadbb918000217015d', () => {
    const bytes = new Uint8Array(2);
    for (const idx of [0, 3, 4, 5, 7, 8, 9, 13, 15]) setBit(bytes, idx);
    expect([...bytes]).toEqual([0xb9, 0xa3]);
    const lst = encodeStatusList(bytes);
    expect(Buffer.from(lst, 'base64url').toString('hex')).toBe('78dadbb918000217015d');
    const decoded = decodeStatusList(lst);
    expect([...decoded]).toEqual([0xb9, 0xa3]);
    expect(Array.from({ length: 16 }, (_, idx) => statusAt(decoded, 1, idx))).toEqual([1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]);
  });

  it('refuses an index outside the list and a list that is not base64url zlib', () => {
    expect(() => statusAt(new Uint8Array(2), 1, 16)).toThrow(RangeError);
    expect(() => decodeStatusList('not base64!')).toThrow();
    expect(() => decodeStatusList(Buffer.from('plain').toString('base64url'))).toThrow();
  });
});
