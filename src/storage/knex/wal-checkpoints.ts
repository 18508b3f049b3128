/**
 * SQLite's WAL checkpoints, in a thread of their own. Commits only append to the WAL
 * (`wal_autocheckpoint = 0`, connection.ts); a PASSIVE checkpoint every 200 ms copies what was
 * appended into the database file and lets the WAL start over. On the event loop that copy and
 * its fsyncs stopped the process for 4.5–7.7 ms every 200 ms under refresh load, of which about
 * 1.2 ms was CPU (`npm run bench`, refresh): every request waited for the disk. In a thread, with
 * its own connection, the server keeps answering meanwhile; a PASSIVE checkpoint never waits for
 * the writers nor makes them wait.
 *
 * One process per machine runs it (the server, or the cluster's slot 0: server.ts): several would
 * only fsync the same pages. The last connection to close checkpoints what is left.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the WAL is folded into the database: short intervals keep each checkpoint short. */
export const WAL_CHECKPOINT_INTERVAL_MS = 200;
/** How long after a thread ended unasked another starts. */
const THREAD_RESTART_DELAY_MS = 1000;

/**
 * The thread's code, evaluated as a script: a file beside this one would not exist where the
 * sources run untranspiled (the tests), and the thread needs nothing but the SQLite driver.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
let checkpoint;
let failing = false;
const timer = setInterval(() => {
  try {
    if (db === undefined) {
      const opened = new Database(workerData.filename, { fileMustExist: true, timeout: 5000 });
      opened.pragma('wal_autocheckpoint = 0');
      checkpoint = opened.prepare('PRAGMA wal_checkpoint(PASSIVE)');
      db = opened;
    }
    checkpoint.get();
    failing = false;
  } catch (error) {
    // Told once per run of failures, not every interval; the next interval tries again.
    if (!failing) parentPort.postMessage({ failed: String(error && error.message) });
    failing = true;
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  if (db !== undefined) db.close();
  parentPort.close();
});
`;

/** The checkpoints' thread; `stop` ends it and resolves once it has closed its connection. */
export interface WalCheckpoints {
  stop(): Promise<void>;
  /** The running thread (none while a replacement is due): for diagnostics and the tests. */
  readonly thread: Worker | undefined;
}

/**
 * A thread that ends without being asked to (its heap limit reached, a fault in the driver) is
 * reported and started again after `restartDelayMs`: commits never checkpoint on their own
 * (`wal_autocheckpoint = 0`), so without the thread the WAL would grow until the process restarts.
 * The delay keeps a thread that fails at once from restarting in a busy loop.
 */
export function startWalCheckpoints(filename: string, onError: (error: Error) => void, options: { intervalMs?: number; restartDelayMs?: number } = {}): WalCheckpoints {
  const intervalMs = options.intervalMs ?? WAL_CHECKPOINT_INTERVAL_MS;
  const restartDelayMs = options.restartDelayMs ?? THREAD_RESTART_DELAY_MS;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  let stopping = false;
  let restart: NodeJS.Timeout | undefined;
  let current: { thread: Worker; exited: Promise<void> } | undefined;

  const start = (): void => {
    const thread = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { driver, filename, intervalMs },
      // The thread holds one prepared statement: a small heap is plenty.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    // Never what keeps a process alive: stop() ends it, and an exit without stop() loses nothing.
    thread.unref();
    thread.on('message', (message: { failed: string }) => onError(new Error(`WAL checkpoint failed: ${message.failed}`)));
    thread.on('error', onError);
    const exited = new Promise<void>((resolve) =>
      thread.once('exit', (code) => {
        resolve();
        if (stopping) return;
        current = undefined;
        onError(new Error(`the WAL checkpoint thread ended (exit code ${code}); starting another in ${restartDelayMs} ms`));
        restart = setTimeout(start, restartDelayMs).unref();
      }),
    );
    current = { thread, exited };
  };
  start();

  return {
    get thread() {
      return current?.thread;
    },
    async stop() {
      stopping = true;
      clearTimeout(restart);
      if (current === undefined) return;
      current.thread.postMessage('stop');
      await current.exited;
    },
  };
}
