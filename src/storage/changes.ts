/**
 * Change fan-out between the processes sharing one database (implemented in knex/change-feed.ts):
 * a write on one process reaches every process's caches at once (PostgreSQL LISTEN/NOTIFY;
 * in-process only on SQLite, where the one-second polls cover other processes). A hint, never the
 * data: listeners re-read the store, and the polls stay as the safety net.
 */

/** What processes sharing the database tell each other about (`logouts`: back-channel logout deliveries queued). */
export type ChangeChannel = 'keys' | 'revocations' | 'logouts';
export const CHANGE_CHANNELS: readonly ChangeChannel[] = ['keys', 'revocations', 'logouts'];

/** Receives the publisher's payload, or undefined when changes may have been missed (a reconnect). */
export type ChangeListener = (payload: string | undefined) => void;

export interface ChangeNotifier {
  publish(channel: ChangeChannel, payload?: string): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(channel: ChangeChannel, listener: ChangeListener): () => void;
  /** True while changes made by other processes are pushed to this one (PostgreSQL, listening). */
  readonly pushing: boolean;
}
