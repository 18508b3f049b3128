/**
 * The pino logger. `redact` is the safety net: code never logs secrets on purpose, and anything
 * that slips through under one of these names is censored.
 */
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import type { LogLevel } from './config.js';

const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'client_secret',
  'clientSecret',
  'password',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'code',
  'code_verifier',
  'client_assertion',
  'dpop',
  'secret',
  'keyEncryptionKey',
];

export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** Lines of fixed, typed fields that never hold a secret (plainLines below). */
export interface PlainLines {
  /** One line at `info`: the fields (a flat record; undefined ones are left out) and the message. */
  info(fields: object, msg: string): void;
  /**
   * The same line from fields the caller serialised: `members` is the inside of a JSON object
   * (`"a":1,"b":"x"`, never empty), `msgJson` the message as a JSON string. For the access line
   * of every request (http/request-log.ts), which builds its members from parts known to need no
   * escaping instead of running JSON.stringify over a fresh object each time.
   */
  infoMembers(members: string, msgJson: string): void;
}

const BASE = { service: 'inkan' };
const INFO = 30;

/**
 * The access line of every request and the audit lines: their fields are a closed, typed set that
 * holds no secret by construction, so they skip redaction (which cost about 6% of a token request)
 * and pino's per-key serialiser (11% of a JWKS request, docs/performance.md): the line is
 * JSON.stringify of the record inside pino's own frame, written to `log`'s destination when `log`
 * (or `level`) lets `info` through. For such records it is byte for byte the line pino writes
 * (test/log.test.ts), so log readers see one format.
 */
export function plainLines(log: Logger, options: { bindings?: Readonly<Record<string, unknown>>; level?: LevelWithSilent; now?: () => number } = {}): PlainLines {
  const stream = (log as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]!;
  const level = options.level ?? (log.level as LevelWithSilent);
  if (level === 'silent' || pino.levels.values[level]! > INFO) return { info: () => undefined, infoMembers: () => undefined };
  const now = options.now ?? Date.now;
  // `log.bindings()` holds its child bindings (a cluster worker's `worker`), as pino writes them on its own lines.
  const bindings = JSON.stringify({ ...BASE, ...log.bindings(), ...options.bindings }).slice(1, -1);
  return {
    info(fields, msg) {
      const record = JSON.stringify(fields);
      const separator = record.length > 2 ? ',' : '';
      stream.write(`{"level":${INFO},"time":${now()},${bindings}${separator}${record.slice(1, -1)},"msg":${JSON.stringify(msg)}}\n`);
    },
    infoMembers(members, msgJson) {
      stream.write(`{"level":${INFO},"time":${now()},${bindings},${members},"msg":${msgJson}}\n`);
    },
  };
}

/**
 * Without a destination, lines go to stdout in chunks of about 16 KiB, written synchronously
 * (pino's own default) once a chunk fills: one write(2) per ~100 lines instead of one per line.
 * Synchronous writes measured cheaper than pino's asynchronous mode on a busy core (no thread-pool
 * hop per write), and a full pipe blocks the event loop, which is the back-pressure a log reader
 * asks for. The chunk is flushed every second, so a quiet server's lines are never held longer
 * than that, and main.ts flushes it on exit.
 */
const CHUNK_CHARS = 16_384;

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const stream = destination ?? bufferedStdout();
  return pino({ level, base: BASE, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
}

/**
 * Gathers lines and hands them to sonic-boom a chunk at a time. sonic-boom's own buffer
 * (`minLength`) measures the byte length of its whole pending string on every line, which made
 * V8 flatten the growing string each time: 4% of a JWKS request in the profile, and the cost
 * grew with the buffer. Here a line costs an array push; the chunk is joined once.
 */
class LineChunks implements DestinationStream {
  private readonly lines: string[] = [];
  private chars = 0;

  constructor(private readonly out: DestinationStream & { flush(cb?: (error?: Error) => void): void }) {}

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= CHUNK_CHARS) this.drain();
  }

  /** Writes what is gathered; pino's `logger.flush(cb)` lands here. */
  flush(cb?: (error?: Error) => void): void {
    this.drain();
    this.out.flush(cb);
  }

  private drain(): void {
    if (this.chars === 0) return;
    const chunk = this.lines.join('');
    this.lines.length = 0;
    this.chars = 0;
    this.out.write(chunk);
  }
}

function bufferedStdout(): DestinationStream {
  // minLength 0: sonic-boom writes each chunk at once, synchronously.
  const stream = new LineChunks(pino.destination({ dest: 1, minLength: 0, sync: true }));
  setInterval(() => stream.flush(), 1000).unref();
  return stream;
}

/** Writes what the buffered log holds, then exits: the last lines of a stopping process are not lost. */
export function exitAfterLog(log: Logger, code: number): void {
  log.flush(() => process.exit(code));
}
