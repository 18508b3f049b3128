/**
 * SQLite's change fan-out between the processes on one machine: what LISTEN/NOTIFY does on
 * PostgreSQL, for a database that has no server to relay a notification.
 *
 * Every process that subscribes (a server, each worker of one) listens on a Unix-domain socket of
 * its own in a directory beside the database file, `<database file>.changes/` (mode 0700, sockets
 * 0600: the same trust as the file itself). A process that commits a change (a server, the CLI)
 * writes one line, `<channel> <payload>\n`, to every other socket there. So `tokens revoke` or
 * `keys rotate` run with the CLI reaches a running server in milliseconds rather than at its
 * one-second poll.
 *
 * Hints, never data, and best effort: listeners re-read the store, and the polls stay as the safety
 * net. A socket that refuses a connection belongs to a process that died without closing it, and is
 * removed. When no socket can be made (a directory that cannot be written, a path longer than a
 * socket address holds) the process says so once and relies on the polls, as before.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const SOCKET_SUFFIX = '.sock';
/** A peer that neither accepts nor refuses within this is skipped; the polls cover it. */
const SEND_TIMEOUT_MS = 250;
/** sun_path holds 108 bytes on Linux and 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 103;
/** A line is a channel name and a short payload (a version or a record id); longer is not ours. */
const MAX_LINE_BYTES = 512;

export interface SocketBusLog {
  warn(details: object, message: string): void;
}

export type BusDelivery = (channel: string, payload: string | undefined) => void;

export interface SocketBus {
  /** True once this process's socket accepts connections. */
  readonly listening: boolean;
  /** Starts listening (once); lines from other processes go to `deliver`, then `ready` is called. */
  listen(deliver: BusDelivery, ready: () => void): void;
  /** Sends to every other listening process; never rejects. `close` waits for the sends in flight. */
  send(channel: string, payload: string | undefined): void;
  close(): Promise<void>;
}

/** The directory of the sockets of the processes sharing `databaseFile`. */
export function socketDirectory(databaseFile: string): string {
  return `${path.resolve(databaseFile)}.changes`;
}

export function socketBus(databaseFile: string, log?: SocketBusLog): SocketBus {
  const directory = socketDirectory(databaseFile);
  const ownName = `${process.pid}-${crypto.randomBytes(6).toString('hex')}${SOCKET_SUFFIX}`;
  const ownPath = path.join(directory, ownName);
  const inFlight = new Set<Promise<void>>();
  let previous: Promise<void> = Promise.resolve();
  let server: net.Server | undefined;
  let listening = false;
  let closed = false;
  /** Said once: a process that cannot listen keeps to the polls rather than trying at every subscription. */
  let gaveUp = false;

  const unavailable = (reason: string) => {
    gaveUp = true;
    log?.warn(
      { event: 'changes.socket_unavailable', directory, reason },
      'changes made by other processes on this machine (the CLI, other workers) arrive by polling: no change socket',
    );
  };

  return {
    get listening() {
      return listening;
    },

    listen(deliver, ready) {
      if (server !== undefined || closed || gaveUp) return;
      if (Buffer.byteLength(ownPath) > MAX_SOCKET_PATH_BYTES) {
        unavailable(`the socket path would be longer than ${MAX_SOCKET_PATH_BYTES} bytes`);
        return;
      }
      try {
        fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
      } catch (error) {
        unavailable((error as Error).message);
        return;
      }
      server = net.createServer((socket) => receive(socket, deliver));
      server.on('error', (error) => {
        listening = false;
        unavailable(error.message);
      });
      server.listen(ownPath, () => {
        try {
          fs.chmodSync(ownPath, 0o600);
        } catch {
          // The directory's 0700 already keeps other users out.
        }
        listening = !closed;
        if (listening) ready();
      });
    },

    send(channel, payload) {
      const line = `${channel} ${payload ?? ''}\n`;
      // One after the other, so every peer hears this process's changes in the order it made them
      // (as NOTIFY delivers them in commit order); a connection per send would race.
      const sending = previous.then(() => sendToPeers(directory, ownName, line)).finally(() => inFlight.delete(sending));
      previous = sending;
      inFlight.add(sending);
    },

    async close() {
      closed = true;
      listening = false;
      await Promise.all(inFlight);
      const open = server;
      server = undefined;
      if (open !== undefined) {
        await new Promise<void>((resolve) => open.close(() => resolve()));
        fs.rmSync(ownPath, { force: true });
      }
    },
  };
}

function receive(socket: net.Socket, deliver: BusDelivery): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('error', () => {});
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      const space = line.indexOf(' ');
      if (space > 0) deliver(line.slice(0, space), space === line.length - 1 ? undefined : line.slice(space + 1));
    }
    if (buffered.length > MAX_LINE_BYTES) socket.destroy();
  });
}

async function sendToPeers(directory: string, ownName: string, line: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.promises.readdir(directory);
  } catch {
    return; // No process has ever listened beside this database.
  }
  await Promise.all(names.filter((name) => name.endsWith(SOCKET_SUFFIX) && name !== ownName).map((name) => sendOne(path.join(directory, name), line)));
}

function sendOne(socketPath: string, line: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.setTimeout(SEND_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // Nobody listens there: a process that died without removing its socket (judged by its pid,
      // since a live process refuses too in the instant between creating its socket and listening).
      // Removed before this send counts as done (rare, and a single unlink), so `close` leaves no stale socket behind.
      if (error.code === 'ECONNREFUSED' && !processAlive(Number.parseInt(path.basename(socketPath), 10))) fs.rmSync(socketPath, { force: true });
    });
    socket.on('close', () => resolve());
    socket.end(line);
  });
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
