/**
 * The group commit of issued status-list indices: what makes a token's status bit settable after
 * the process that issued it is gone (restarted, SIGKILLed, another instance).
 *
 * Issuing a token adds its index to an open batch, under each owner a revocation record can name
 * (its client, subject, session, grant); nothing touches the database on the request path. The
 * token endpoint then waits on `durable()` before it answers, so no token leaves the server
 * before its index is committed. The open batch is written in one transaction as soon as the
 * event loop is free and no commit is in flight: under load, every request that arrived meanwhile
 * shares one commit (one row per owner, list and second, indices packed two bytes each), at rest a
 * request waits for one small commit.
 *
 * A failed commit fails the answers that were waiting on it (the token endpoint says
 * `temporarily_unavailable`) and its rows go back into the open batch, so a request whose rows it
 * held and that asks afterwards still waits for them to be committed: `durable()` always covers
 * everything added before the call.
 */
import type { IssuedStatusIndexes, StatusListStore } from '../storage/status-lists.js';

/** What one issued token adds: its index in its list, under each of its owners. */
export interface IssuedIndex {
  readonly listId: string;
  readonly idx: number;
  readonly owners: readonly string[];
  readonly issuedAt: number;
  readonly expiresAt: number;
}

interface Batch {
  readonly rows: Map<string, { readonly issued: Omit<IssuedStatusIndexes, 'indexes'>; readonly indexes: number[] }>;
  committed: Promise<void> | undefined;
  settle?: (error?: unknown) => void;
}

const RESOLVED = Promise.resolve();
const newBatch = (): Batch => ({ rows: new Map(), committed: undefined });

export interface IssuedStatusLogDeps {
  readonly store: Pick<StatusListStore, 'recordIssued'>;
  /**
   * Told of every committed batch's owners, each with the earliest `iat` of its tokens in the
   * batch (to set the bits of records learnt meanwhile), and of failures.
   */
  readonly onCommitted: (owners: ReadonlyMap<string, number>) => void;
  readonly onFailed: (error: unknown) => void;
}

export class IssuedStatusLog {
  private open = newBatch();
  /** The commit under way; true when it succeeded. */
  private inFlight: Promise<boolean> | undefined;
  private scheduled = false;

  constructor(private readonly deps: IssuedStatusLogDeps) {}

  add(token: IssuedIndex): void {
    for (const owner of token.owners) {
      const key = `${token.listId}\n${owner}\n${token.issuedAt}\n${token.expiresAt}`;
      let row = this.open.rows.get(key);
      if (row === undefined) {
        row = { issued: { listId: token.listId, owner, issuedAt: token.issuedAt, expiresAt: token.expiresAt }, indexes: [] };
        this.open.rows.set(key, row);
      }
      row.indexes.push(token.idx);
    }
  }

  /** Resolves once everything added before this call is committed; rejects if its commit failed. */
  durable(): Promise<void> {
    if (this.open.rows.size === 0) {
      // Whatever was added is committed, or in the commit under way: if that fails, its rows are
      // back in the open batch by the time it settles, and the caller waits for them there.
      return this.inFlight === undefined ? RESOLVED : this.inFlight.then((committed) => (committed ? undefined : this.durable()));
    }
    const batch = this.open;
    batch.committed ??= new Promise<void>((resolve, reject) => {
      batch.settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.schedule();
    return batch.committed;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.inFlight = this.commit().finally(() => {
        this.inFlight = undefined;
        if (this.open.committed !== undefined) this.schedule();
      });
    });
  }

  private async commit(): Promise<boolean> {
    const batch = this.open;
    this.open = newBatch();
    const rows = [...batch.rows.values()];
    try {
      await this.deps.store.recordIssued(rows.map((row) => ({ ...row.issued, indexes: row.indexes })));
    } catch (error) {
      // Back into the open batch, ahead of what came since, for whoever asks next.
      for (const [key, row] of batch.rows) {
        const later = this.open.rows.get(key);
        if (later !== undefined) row.indexes.push(...later.indexes);
        this.open.rows.set(key, row);
      }
      batch.settle?.(error);
      this.deps.onFailed(error);
      return false;
    }
    batch.settle?.();
    const owners = new Map<string, number>();
    for (const { issued } of rows) owners.set(issued.owner, Math.min(issued.issuedAt, owners.get(issued.owner) ?? Infinity));
    this.deps.onCommitted(owners);
    return true;
  }
}
