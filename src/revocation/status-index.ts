/**
 * What one process remembers of the tokens it put in one leased status list, so that a revocation
 * record can be turned into the bits it covers: per token, its index, iat, exp, the first 64 bits
 * of its jti, and interned ids of its subject, client and session, in typed arrays.
 *
 * About 32 bytes per token instead of a JavaScript object per token in several maps (measured at
 * ~1.3 KB per token, which made the server's memory grow with the issuance rate). Matching a
 * record scans the tokens handed out from this list: revocations are rare next to issuance, and a
 * full list scans in well under a millisecond.
 */
import crypto from 'node:crypto';
import { isCoveredBy, type RevocationTarget } from './revocations.js';

export interface IndexedTokenFacts {
  readonly jti: string;
  readonly sub: string;
  readonly clientId: string;
  readonly sid: string | undefined;
  readonly iat: number;
  readonly exp: number;
}

/** Interned strings: small ids in the typed arrays, 0 meaning "none". */
class Interned {
  private readonly ids = new Map<string, number>();

  idOf(value: string | undefined): number {
    if (value === undefined) return 0;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(value, id);
    }
    return id;
  }

  find(value: string): number | undefined {
    return this.ids.get(value);
  }
}

/** Inkan's jtis are 128 random bits in base64url: their first 64 bits identify them. */
function jtiWords(jti: string): [number, number] {
  let bytes = Buffer.from(jti, 'base64url');
  if (bytes.length < 8) bytes = crypto.createHash('sha256').update(jti).digest();
  return [bytes.readUInt32BE(0), bytes.readUInt32BE(4)];
}

/**
 * Columns of per-token facts, one slot per token in issuance order, grown by doubling: a lease
 * that hands out few indices costs little, and no column is sized for the whole list.
 */
export class LeaseIndex {
  private count = 0;
  private idx = new Uint32Array(0);
  private iat = new Uint32Array(0);
  private exp = new Uint32Array(0);
  private jtiHigh = new Uint32Array(0);
  private jtiLow = new Uint32Array(0);
  private subject = new Uint32Array(0);
  private client = new Uint32Array(0);
  private session = new Uint32Array(0);
  private readonly subjects = new Interned();
  private readonly clients = new Interned();
  private readonly sessions = new Interned();
  /** The latest exp of any token indexed here: the index is useless after it. */
  latestExp = 0;

  constructor(private readonly maxTokens: number) {}

  get size(): number {
    return this.count;
  }

  add(idx: number, token: IndexedTokenFacts): void {
    if (this.count === this.idx.length) this.grow();
    const slot = this.count;
    this.count += 1;
    this.idx[slot] = idx;
    this.iat[slot] = token.iat;
    this.exp[slot] = token.exp;
    [this.jtiHigh[slot], this.jtiLow[slot]] = jtiWords(token.jti);
    this.subject[slot] = this.subjects.idOf(token.sub);
    this.client[slot] = this.clients.idOf(token.clientId);
    this.session[slot] = this.sessions.idOf(token.sid);
    if (token.exp > this.latestExp) this.latestExp = token.exp;
  }

  /** The indices of unexpired tokens here that `target` covers (the same rule as isCoveredBy). */
  covered(target: RevocationTarget, now: number): Array<{ idx: number; exp: number }> {
    const matches: Array<{ idx: number; exp: number }> = [];
    const match = this.matcher(target);
    if (match === undefined) return matches;
    for (let slot = 0; slot < this.count; slot += 1) {
      if (this.exp[slot]! > now && match(slot)) matches.push({ idx: this.idx[slot]!, exp: this.exp[slot]! });
    }
    return matches;
  }

  private grow(): void {
    const length = Math.min(this.maxTokens, Math.max(1024, this.idx.length * 2));
    if (length === this.idx.length) throw new Error('status list index is full');
    const grown = (column: Uint32Array) => {
      const next = new Uint32Array(length);
      next.set(column);
      return next;
    };
    this.idx = grown(this.idx);
    this.iat = grown(this.iat);
    this.exp = grown(this.exp);
    this.jtiHigh = grown(this.jtiHigh);
    this.jtiLow = grown(this.jtiLow);
    this.subject = grown(this.subject);
    this.client = grown(this.client);
    this.session = grown(this.session);
  }

  private matcher(target: RevocationTarget): ((slot: number) => boolean) | undefined {
    switch (target.kind) {
      case 'jti': {
        const [high, low] = jtiWords(target.jti);
        return (slot) => this.jtiHigh[slot] === high && this.jtiLow[slot] === low;
      }
      case 'subject': {
        const id = this.subjects.find(target.sub);
        return id === undefined ? undefined : (slot) => this.subject[slot] === id && this.coveredByTime(target, slot);
      }
      case 'session': {
        const id = this.sessions.find(target.sid);
        if (id === undefined) return undefined;
        if (target.clientId === undefined) return (slot) => this.session[slot] === id;
        const client = this.clients.find(target.clientId);
        return client === undefined ? undefined : (slot) => this.session[slot] === id && this.client[slot] === client;
      }
      case 'client': {
        const id = this.clients.find(target.clientId);
        return id === undefined ? undefined : (slot) => this.client[slot] === id && this.coveredByTime(target, slot);
      }
    }
  }

  /** The time half of isCoveredBy, so both stay one rule. */
  private coveredByTime(target: RevocationTarget, slot: number): boolean {
    const iat = this.iat[slot]!;
    return target.kind === 'subject'
      ? isCoveredBy(target, { jti: '', sub: target.sub, client_id: '', iat })
      : target.kind === 'client'
        ? isCoveredBy(target, { jti: '', sub: '', client_id: target.clientId, iat })
        : true;
  }
}
