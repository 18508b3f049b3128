import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LeaseIndex } from '../../src/revocation/status-index.js';

const jti = () => crypto.randomBytes(16).toString('base64url');

describe('LeaseIndex', () => {
  it('finds the tokens each kind of revocation record covers, with the same time rule as isCoveredBy', () => {
    const index = new LeaseIndex(32_768);
    const a = { jti: jti(), sub: 'alice', clientId: 'app', sid: 's1', iat: 100, exp: 1000 };
    const b = { jti: jti(), sub: 'alice', clientId: 'app', sid: 's2', iat: 200, exp: 1100 };
    const c = { jti: jti(), sub: 'bob', clientId: 'svc', sid: undefined, iat: 150, exp: 1050 };
    index.add(7, a);
    index.add(9, b);
    index.add(3, c);
    const idx = (found: Array<{ idx: number }>) => found.map((entry) => entry.idx).sort((x, y) => x - y);
    expect(idx(index.covered({ kind: 'jti', jti: b.jti }, 500))).toEqual([9]);
    expect(idx(index.covered({ kind: 'jti', jti: jti() }, 500))).toEqual([]);
    expect(idx(index.covered({ kind: 'subject', sub: 'alice', notBefore: 201 }, 500))).toEqual([7, 9]);
    expect(idx(index.covered({ kind: 'subject', sub: 'alice', notBefore: 200 }, 500))).toEqual([7]); // iat < notBefore
    expect(idx(index.covered({ kind: 'session', sid: 's2' }, 500))).toEqual([9]);
    expect(idx(index.covered({ kind: 'client', clientId: 'svc', notBefore: 151 }, 500))).toEqual([3]);
    expect(idx(index.covered({ kind: 'subject', sub: 'nobody', notBefore: 999 }, 500))).toEqual([]);
    // Expired tokens are no longer anyone's business.
    expect(idx(index.covered({ kind: 'subject', sub: 'alice', notBefore: 999 }, 1000))).toEqual([9]);
    expect(index.latestExp).toBe(1100);
  });

  it('grows its columns as tokens arrive, up to its bound', () => {
    const index = new LeaseIndex(3000);
    for (let i = 0; i < 3000; i += 1) index.add(i, { jti: jti(), sub: `u${i % 10}`, clientId: 'app', sid: undefined, iat: 1, exp: 10 });
    expect(index.size).toBe(3000);
    expect(index.covered({ kind: 'subject', sub: 'u3', notBefore: 2 }, 5)).toHaveLength(300);
    expect(() => index.add(3000, { jti: jti(), sub: 'x', clientId: 'app', sid: undefined, iat: 1, exp: 10 })).toThrow(/full/);
  });
});
