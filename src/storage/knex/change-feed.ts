/**
 * Change fan-out between the processes that share one database, so that a key rotation or a
 * revocation on one instance reaches every other instance's caches within milliseconds instead of
 * at its next one-second poll.
 *
 * PostgreSQL: writers `NOTIFY inkan_<channel>` inside the transaction that made the change
 * (`publishOnCommit`), so the notification goes out exactly when the change commits and never for
 * one rolled back; a process that subscribes opens ONE dedicated connection (not from the knex
 * pool, whose connections come and go) and LISTENs on every channel. When that connection drops
 * it reconnects with exponential backoff, and after every (re)connect it calls every listener
 * with `undefined`: whatever happened while it was not listening is unknown, so every channel is
 * treated as changed. A heartbeat query every few seconds notices a connection that died silently.
 *
 * SQLite: an in-process emitter after commit, and the change sockets of socket-bus.ts for the other
 * processes on the machine (the CLI, a second server or worker on the same file). A process that
 * subscribes starts listening on its socket and, like a LISTEN (re)connect, then calls every
 * listener with `undefined`. Processes on other machines cannot share a SQLite file safely anyway.
 *
 * Notifications are hints, never data: listeners re-read the store (key-state version, revocation
 * records after their last id), so a duplicate or a spurious notification costs one small query.
 */
import type { Knex } from 'knex';
import pg from 'pg';
import { CHANGE_CHANNELS, type ChangeChannel, type ChangeListener, type ChangeNotifier } from '../changes.js';
import { socketBus } from './socket-bus.js';

const PG_CHANNEL_PREFIX = 'inkan_';
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;
const HEARTBEAT_INTERVAL_MS = 5000;
const LISTEN_QUERY_TIMEOUT_MS = 5000;

export interface KnexChangeNotifier extends ChangeNotifier {
  /** Publishes when `trx` commits (never when it rolls back); a failure here fails the transaction. */
  publishOnCommit(trx: Knex.Transaction, channel: ChangeChannel, payload?: string): Promise<void>;
  close(): Promise<void>;
}

export interface ChangeFeedLog {
  warn(details: object, message: string): void;
}

const pgChannel = (channel: ChangeChannel): string => `${PG_CHANNEL_PREFIX}${channel}`;

/** The listeners of one process, by channel; a throwing listener never stops the others. */
class LocalListeners {
  private readonly byChannel = new Map<ChangeChannel, Set<ChangeListener>>();

  add(channel: ChangeChannel, listener: ChangeListener): () => void {
    let set = this.byChannel.get(channel);
    if (set === undefined) {
      set = new Set();
      this.byChannel.set(channel, set);
    }
    set.add(listener);
    return () => void set.delete(listener);
  }

  get size(): number {
    let total = 0;
    for (const set of this.byChannel.values()) total += set.size;
    return total;
  }

  dispatch(channel: ChangeChannel, payload: string | undefined): void {
    for (const listener of [...(this.byChannel.get(channel) ?? [])]) {
      try {
        listener(payload);
      } catch {
        // A failing cache must not keep the other caches from hearing of the change.
      }
    }
  }
}

const isChannel = (name: string): name is ChangeChannel => (CHANGE_CHANNELS as readonly string[]).includes(name);

/** `databaseFile` undefined (an in-memory database): nothing to share, in-process only. */
export function sqliteChangeNotifier(databaseFile: string | undefined, log?: ChangeFeedLog): KnexChangeNotifier {
  const listeners = new LocalListeners();
  const bus = databaseFile === undefined ? undefined : socketBus(databaseFile, log);
  const announce = (channel: ChangeChannel, payload: string | undefined) => {
    listeners.dispatch(channel, payload);
    bus?.send(channel, payload);
  };
  return {
    get pushing() {
      return bus?.listening ?? false;
    },
    async publish(channel, payload) {
      announce(channel, payload);
    },
    async publishOnCommit(trx, channel, payload) {
      // The transaction's own promise settles after COMMIT (or ROLLBACK).
      trx.executionPromise.then(
        () => announce(channel, payload),
        () => {},
      );
    },
    subscribe(channel, listener) {
      const unsubscribe = listeners.add(channel, listener);
      bus?.listen(
        (name, payload) => {
          if (isChannel(name)) listeners.dispatch(name, payload);
        },
        // Nothing is known about what other processes did before this one listened.
        () => {
          for (const each of CHANGE_CHANNELS) listeners.dispatch(each, undefined);
        },
      );
      return unsubscribe;
    },
    close: async () => bus?.close(),
  };
}

/**
 * The dedicated LISTEN connection: connects on the first subscription (a CLI run, which never
 * subscribes, opens none), reconnects with backoff, heartbeats.
 */
class PostgresListener {
  private client: pg.Client | undefined;
  private connecting = false;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly deliver: (channel: ChangeChannel, payload: string | undefined) => void,
    private readonly log: ChangeFeedLog | undefined,
  ) {}

  get listening(): boolean {
    return this.client !== undefined;
  }

  start(): void {
    if (this.client !== undefined || this.connecting || this.retryTimer !== undefined || this.closed) return;
    void this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeatTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    this.connecting = true;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'inkan-listen',
      keepAlive: true,
      connectionTimeoutMillis: LISTEN_QUERY_TIMEOUT_MS,
      query_timeout: LISTEN_QUERY_TIMEOUT_MS,
    });
    let gone = false;
    const lost = (reason: unknown) => {
      if (gone) return;
      gone = true;
      this.lost(client, reason);
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('connection ended')));
    client.on('notification', (message) => {
      const channel = CHANGE_CHANNELS.find((name) => pgChannel(name) === message.channel);
      if (channel !== undefined) this.deliver(channel, message.payload === undefined || message.payload === '' ? undefined : message.payload);
    });
    try {
      await client.connect();
      for (const channel of CHANGE_CHANNELS) await client.query(`LISTEN ${pgChannel(channel)}`);
    } catch (error) {
      this.connecting = false;
      lost(error);
      return;
    }
    this.connecting = false;
    if (this.closed || gone) {
      await client.end().catch(() => {});
      return;
    }
    if (this.failures > 0) this.log?.warn({ event: 'changes.listening_again' }, 'listening for changes again after the connection was lost');
    this.client = client;
    this.failures = 0;
    this.heartbeatTimer = setInterval(() => {
      client.query('select 1').catch(lost);
    }, HEARTBEAT_INTERVAL_MS);
    this.heartbeatTimer.unref();
    // Nothing is known about what happened before LISTEN took effect: every channel may have changed.
    for (const channel of CHANGE_CHANNELS) this.deliver(channel, undefined);
  }

  private lost(client: pg.Client, reason: unknown): void {
    if (this.client === client) {
      this.client = undefined;
      clearInterval(this.heartbeatTimer);
    }
    client.end().catch(() => {});
    if (this.closed || this.retryTimer !== undefined) return;
    if (this.failures === 0) {
      this.log?.warn(
        { event: 'changes.listen_lost', reason: (reason as Error)?.message ?? String(reason) },
        'the LISTEN connection is down: changes from other instances arrive by polling until it is back',
      );
    }
    this.failures += 1;
    const ceilingMs = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (this.failures - 1));
    const delayMs = ceilingMs / 2 + Math.random() * (ceilingMs / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delayMs);
    this.retryTimer.unref();
  }
}

export function postgresChangeNotifier(db: Knex, url: string, log?: ChangeFeedLog): KnexChangeNotifier {
  const listeners = new LocalListeners();
  const listener = new PostgresListener(url, (channel, payload) => listeners.dispatch(channel, payload), log);
  return {
    get pushing() {
      return listener.listening;
    },
    async publish(channel, payload) {
      await db.raw('select pg_notify(?, ?)', [pgChannel(channel), payload ?? '']);
    },
    async publishOnCommit(trx, channel, payload) {
      // PostgreSQL queues a NOTIFY issued in a transaction and delivers it at COMMIT.
      await trx.raw('select pg_notify(?, ?)', [pgChannel(channel), payload ?? '']);
    },
    subscribe(channel, callback) {
      const unsubscribe = listeners.add(channel, callback);
      listener.start();
      return unsubscribe;
    },
    close: () => listener.close(),
  };
}
