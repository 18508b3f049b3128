/**
 * The verifier's in-memory copy of the issuer's revocation records, shaped for the hot path: one
 * Map lookup per kind (jti, sid, grant_id, sub → not-before, client → not-before), no scan.
 *
 * Records for the same subject (or client) merge into one window: a later not-before covers every
 * token an earlier one did, so keeping the largest not-before and the latest expiry is exactly
 * their union. A record whose `expiresAt` has passed covers only expired tokens, which the verifier
 * rejects anyway; it is dropped by `purgeExpired` to free memory, never needed for correctness.
 */
import type { RevocableClaims, RevocationRecord } from './protocol/revocation-records.js';

interface Window {
  notBefore: number;
  expiresAt: number;
}

export class RevocationList {
  private readonly jtis = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
  private readonly grants = new Map<string, number>();
  private readonly subjects = new Map<string, Window>();
  private readonly clients = new Map<string, Window>();
  /** The highest record id applied: the feed's Last-Event-ID. */
  lastId = 0;
  /** The earliest expiry held, so a purge that would find nothing costs one comparison. */
  private nextExpiryAt = Infinity;

  get size(): number {
    return this.jtis.size + this.sessions.size + this.grants.size + this.subjects.size + this.clients.size;
  }

  add(record: RevocationRecord): void {
    const target = record.target;
    const expiresAt = record.expiresAt;
    switch (target.kind) {
      case 'jti':
        keep(this.jtis, target.jti, expiresAt);
        break;
      case 'session':
        keep(this.sessions, target.sid, expiresAt);
        break;
      case 'grant':
        keep(this.grants, target.grantId, expiresAt);
        break;
      case 'subject':
        merge(this.subjects, target.sub, target.notBefore, expiresAt);
        break;
      case 'client':
        merge(this.clients, target.clientId, target.notBefore, expiresAt);
        break;
    }
    if (record.id > this.lastId) this.lastId = record.id;
    if (expiresAt < this.nextExpiryAt) this.nextExpiryAt = expiresAt;
  }

  /** The kind of record that covers the token, or undefined. */
  covers(claims: RevocableClaims): RevocationRecord['target']['kind'] | undefined {
    if (this.jtis.size !== 0 && this.jtis.has(claims.jti)) return 'jti';
    if (claims.sid !== undefined && this.sessions.size !== 0 && this.sessions.has(claims.sid)) return 'session';
    if (claims.grant_id !== undefined && this.grants.size !== 0 && this.grants.has(claims.grant_id)) return 'grant';
    const subject = this.subjects.size === 0 ? undefined : this.subjects.get(claims.sub);
    if (subject !== undefined && claims.iat < subject.notBefore) return 'subject';
    const client = this.clients.size === 0 ? undefined : this.clients.get(claims.client_id);
    if (client !== undefined && claims.iat < client.notBefore) return 'client';
    return undefined;
  }

  /** Drops records whose expiry is before `beforeSeconds`; returns how many. */
  purgeExpired(beforeSeconds: number): number {
    if (beforeSeconds <= this.nextExpiryAt) return 0;
    let purged = 0;
    let next = Infinity;
    for (const map of [this.jtis, this.sessions, this.grants]) {
      for (const [key, expiresAt] of map) {
        if (expiresAt < beforeSeconds) {
          map.delete(key);
          purged += 1;
        } else if (expiresAt < next) next = expiresAt;
      }
    }
    for (const map of [this.subjects, this.clients]) {
      for (const [key, window] of map) {
        if (window.expiresAt < beforeSeconds) {
          map.delete(key);
          purged += 1;
        } else if (window.expiresAt < next) next = window.expiresAt;
      }
    }
    this.nextExpiryAt = next;
    return purged;
  }

  /** The feed said "start over" (a full snapshot follows). */
  clear(): void {
    this.jtis.clear();
    this.sessions.clear();
    this.grants.clear();
    this.subjects.clear();
    this.clients.clear();
    this.lastId = 0;
    this.nextExpiryAt = Infinity;
  }
}

function keep(map: Map<string, number>, key: string, expiresAt: number): void {
  map.set(key, Math.max(expiresAt, map.get(key) ?? 0));
}

function merge(map: Map<string, Window>, key: string, notBefore: number, expiresAt: number): void {
  const window = map.get(key);
  if (window === undefined) {
    map.set(key, { notBefore, expiresAt });
  } else {
    window.notBefore = Math.max(window.notBefore, notBefore);
    window.expiresAt = Math.max(window.expiresAt, expiresAt);
  }
}
