/**
 * The pino logger. `redact` is the safety net: code never logs secrets on purpose, and anything
 * that slips through under one of these names is censored.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
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

/**
 * A logger for lines whose fields are fixed and never hold a secret (the one access-log line per
 * request): it writes to the same destination as `log` but skips redaction, which the profile
 * showed at about 6% of a token request.
 */
export function unredactedLoggerFor(log: Logger): Logger {
  const stream = (log as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  return pino({ level: log.level, base: { service: 'inkan' } }, stream);
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
  return pino({ level, base: { service: 'inkan' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
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
