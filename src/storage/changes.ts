/**
 * Change fan-out between the processes sharing one database (implemented in knex/change-feed.ts):
 * a write on one process reaches every process's caches at once (PostgreSQL LISTEN/NOTIFY; on
 * SQLite, Unix-domain sockets beside the database file reach the processes of the same machine).
 * A hint, never the data: listeners re-read the store, and the polls stay as the safety net.
 */

/**
 * What processes sharing the database tell each other about (`logouts`: back-channel logout
 * deliveries queued; `clients`: a registration removed, payload its client_id).
 */
export type ChangeChannel = 'keys' | 'revocations' | 'logouts' | 'clients';
export const CHANGE_CHANNELS: readonly ChangeChannel[] = ['keys', 'revocations', 'logouts', 'clients'];

/** Receives the publisher's payload, or undefined when changes may have been missed (a reconnect). */
export type ChangeListener = (payload: string | undefined) => void;

export interface ChangeNotifier {
  publish(channel: ChangeChannel, payload?: string): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(channel: ChangeChannel, listener: ChangeListener): () => void;
  /** True while changes made by other processes are pushed to this one (listening: LISTEN, or the change socket). */
  readonly pushing: boolean;
}
