/**
 * The verifier's end of the revocation feed: a Server-Sent Events stream read with `fetch`
 * (so it can send `Authorization` and `Last-Event-ID`, and see heartbeat comments, which the
 * browser-style EventSource API hides). It reconnects forever with a capped backoff, resuming from
 * the last record applied; a stream that stays silent longer than a few heartbeats is dropped as
 * half-open. It only parses the stream: what an event means is the verifier's business.
 */

export interface FeedEvent {
  readonly type: string;
  readonly data: string;
  readonly id: string | undefined;
}

export interface FeedClientOptions {
  readonly endpoint: string;
  readonly fetch: typeof fetch;
  /** A current bearer token with the `revocations:read` scope; `stale` asks for a new one (after a 401). */
  readonly accessToken: (stale?: string) => Promise<string>;
  /** The cursor to resume from (sent as Last-Event-ID unless 0). */
  readonly lastEventId: () => number;
  /** Events are handled one at a time, in order. */
  readonly onEvent: (event: FeedEvent) => Promise<void>;
  /** Any byte arrived (event or heartbeat): the feed is alive. */
  readonly onContact: () => void;
  readonly onConnected: () => void;
  readonly onDisconnected: (reason: unknown) => void;
  readonly onRequest: () => void;
  /** Silence longer than this drops the connection (the server sends a heartbeat every 15 s). */
  readonly idleTimeoutMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
}

export class FeedClient {
  private closed = false;
  private controller: AbortController | undefined;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;

  constructor(private readonly options: FeedClientOptions) {
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.controller?.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoffMs = this.options.minBackoffMs;
    let staleToken: string | undefined;
    while (!this.closed) {
      let receivedEvent = false;
      try {
        const token = await this.options.accessToken(staleToken);
        staleToken = undefined;
        receivedEvent = await this.connect(token, () => (staleToken = token));
      } catch (error) {
        if (!this.closed) this.options.onDisconnected(error);
      }
      if (this.closed) break;
      backoffMs = receivedEvent ? this.options.minBackoffMs : Math.min(backoffMs * 2, this.options.maxBackoffMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One connection; resolves when it ends. Returns whether any event arrived on it. */
  private async connect(token: string, tokenRejected: () => void): Promise<boolean> {
    const controller = new AbortController();
    this.controller = controller;
    let idleTimer: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => controller.abort(new Error('the feed went silent')), this.options.idleTimeoutMs);
      idleTimer.unref?.();
    };
    touch();
    try {
      const lastEventId = this.options.lastEventId();
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'cache-control': 'no-cache' };
      if (lastEventId > 0) headers['last-event-id'] = String(lastEventId);
      this.options.onRequest();
      const response = await this.options.fetch(this.options.endpoint, { headers, signal: controller.signal });
      if (response.status === 401) tokenRejected();
      if (response.status !== 200 || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || response.body === null) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`the revocation feed answered ${response.status}`);
      }
      this.options.onConnected();
      let receivedEvent = false;
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        this.options.onContact();
        for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
          receivedEvent = true;
          await this.options.onEvent(event);
        }
      }
      // A truncated last event (no blank line yet) is never dispatched: it is simply not applied.
      throw new Error('the revocation feed closed');
    } finally {
      clearTimeout(idleTimer);
      controller.abort();
    }
  }
}

/** The event-stream parser of the HTML Living Standard §9.2.6, fed text as it arrives. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private type = '';
  private id: string | undefined;

  push(text: string): FeedEvent[] {
    this.buffer += text;
    const events: FeedEvent[] = [];
    let start = 0;
    for (;;) {
      const match = /\r\n|\r|\n/g;
      match.lastIndex = start;
      const found = match.exec(this.buffer);
      if (found === null) break;
      // A lone \r at the end might be the first half of \r\n: wait for more.
      if (found[0] === '\r' && found.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(start, found.index);
      start = found.index + found[0].length;
      if (line === '') {
        if (this.data.length > 0) events.push({ type: this.type || 'message', data: this.data.join('\n'), id: this.id });
        this.data = [];
        this.type = '';
        this.id = undefined;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.type = value;
      else if (field === 'id' && !value.includes('\0')) this.id = value;
    }
    this.buffer = this.buffer.slice(start);
    // A single line longer than 1 MiB is not an event this feed sends: drop it rather than grow.
    if (this.buffer.length > 1024 * 1024) this.buffer = '';
    return events;
  }
}
