/**
 * A raw TCP connection to a server (node:net), for what an HTTP client library would not send or
 * would hide: two Authorization headers, a body larger than announced, headers or a body fed a
 * byte at a time, and exactly when and how the server answers and hangs up.
 */
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Closed {
  /** The socket error that ended the connection (ECONNRESET, EPIPE), if any. */
  readonly error: string | undefined;
  /** Milliseconds from the connection's opening to its close. */
  readonly afterMs: number;
}

/** The first complete response in `text` (Content-Length bodies), or undefined while incomplete. */
export function parseResponse(text: string): RawResponse | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? '0');
  const bodyBytes = Buffer.from(text.slice(end + 4), 'latin1');
  if (bodyBytes.length < length) return undefined;
  return { status: Number(statusLine!.split(' ')[1]), headers, body: bodyBytes.subarray(0, length).toString('utf8') };
}

export class RawConnection {
  private text = '';
  private readonly openedAt = Date.now();
  private readonly waiters: (() => void)[] = [];
  /** Resolves when the connection is closed, whoever closed it. */
  readonly closed: Promise<Closed>;
  /** Resolves when the server has hung up: its FIN, or the connection closed. */
  readonly ended: Promise<Closed>;
  /** True once the server sent its FIN (or the connection closed). */
  serverEnded = false;

  private constructor(readonly socket: net.Socket) {
    let error: string | undefined;
    let serverFin: (closed: Closed) => void = () => undefined;
    this.ended = new Promise((resolve) => (serverFin = resolve));
    socket.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1');
      this.wake();
    });
    socket.on('end', () => {
      this.serverEnded = true;
      this.wake();
      serverFin({ error, afterMs: Date.now() - this.openedAt });
    });
    socket.on('error', (caught: NodeJS.ErrnoException) => (error ??= caught.code ?? caught.message));
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.serverEnded = true;
        this.wake();
        serverFin({ error, afterMs: Date.now() - this.openedAt });
        resolve({ error, afterMs: Date.now() - this.openedAt });
      }),
    );
  }

  /** Half-open: the client may go on writing after the server's FIN, as a client busy uploading does. */
  static open(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, allowHalfOpen: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Everything received so far, as latin1 text. */
  get received(): string {
    return this.text;
  }

  /** Writes, resolving once the data is handed to the kernel; false if the connection is gone. */
  write(data: string | Buffer): Promise<boolean> {
    if (this.socket.destroyed || !this.socket.writable) return Promise.resolve(false);
    return new Promise((resolve) => this.socket.write(data, (error) => resolve(error == null)));
  }

  /** The first complete response, waiting at most `timeoutMs`; undefined if none came. */
  async response(timeoutMs = 5000): Promise<RawResponse | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.text);
      if (parsed !== undefined || this.serverEnded || Date.now() >= deadline) return parsed;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits at most `timeoutMs` for the connection to close; undefined if it is still open. */
  closedWithin(timeoutMs: number): Promise<Closed | undefined> {
    return within(this.closed, timeoutMs);
  }

  /** Waits at most `timeoutMs` for the server to hang up; undefined if it has not. */
  endedWithin(timeoutMs: number): Promise<Closed | undefined> {
    return within(this.ended, timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

async function within<T>(promise: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
  const result = await Promise.race([promise, timeout]);
  clearTimeout(timer);
  return result;
}
