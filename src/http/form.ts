/**
 * Strict reading of `application/x-www-form-urlencoded` request bodies for the OAuth endpoints
 * (RFC 6749 §3.2): a size limit, the right content type, no parameter twice (but `resource`, which
 * RFC 8707 lets repeat, and `audience`, which RFC 8693 §2.1 lets repeat), and empty values treated
 * as absent (§3.1). `readLimitedBody` is the one
 * body reader, shared with the forms of Inkan's own pages (page-form.ts) and the admin API.
 *
 * A body over the limit, announced or chunked, is a 413 whose answer says `Connection: close`:
 * the rest of the body is discarded as it arrives, and the connection closes once the client has
 * had the answer (http/listener.ts), so a client still uploading can read it.
 */
import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import typeIs from 'type-is';
import { OAuthError } from '../oauth/errors.js';

export const FORM_LIMIT_BYTES = 64 * 1024;
const CLOSE: Readonly<Record<string, string>> = Object.freeze({ Connection: 'close' });

export interface ParsedForm {
  readonly params: ReadonlyMap<string, string>;
  readonly resources: readonly string[];
  /** RFC 8693 §2.1 `audience` values (token exchange), in order. */
  readonly audiences: readonly string[];
}

export interface BodyLimits {
  readonly limitBytes: number;
  /** How errors name the body: "the request body", "the form". */
  readonly noun: string;
  /** The status of a body of another content type (400 for the OAuth endpoints, 415 for pages). */
  readonly wrongTypeStatus: number;
}

/**
 * The body of an `application/x-www-form-urlencoded` request as text; 413 beyond `limitBytes`.
 * It reads node's request (Koa's `ctx.req`), so Koa endpoints and the hot path share it.
 */
export async function readUrlEncodedBody(req: IncomingMessage, limits: BodyLimits): Promise<string> {
  if (!typeIs(req, ['application/x-www-form-urlencoded'])) {
    throw new OAuthError('invalid_request', `${limits.noun} must be sent as application/x-www-form-urlencoded`, { status: limits.wrongTypeStatus });
  }
  return readLimitedBody(req, limits.limitBytes, limits.noun);
}

/** The body as text, at most `limitBytes` (413 beyond, as the header comment says). */
export async function readLimitedBody(req: IncomingMessage, limitBytes: number, noun: string): Promise<string> {
  try {
    return await getRawBody(req, { limit: limitBytes, length: req.headers['content-length'], encoding: 'utf8' });
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') {
      req.resume();
      throw new OAuthError('invalid_request', `${noun} is larger than ${limitBytes} bytes`, { status: 413, headers: CLOSE, cause: error });
    }
    throw new OAuthError('invalid_request', `${noun} could not be read`, { cause: error });
  }
}

export async function readForm(req: IncomingMessage): Promise<ParsedForm> {
  return parseForm(await readUrlEncodedBody(req, { limitBytes: FORM_LIMIT_BYTES, noun: 'the request body', wrongTypeStatus: 400 }));
}

export function parseForm(body: string): ParsedForm {
  const params = new Map<string, string>();
  const resources: string[] = [];
  const audiences: string[] = [];
  for (const [name, value] of new URLSearchParams(body)) {
    if (value === '') continue;
    if (name === 'resource') {
      resources.push(value);
      continue;
    }
    if (name === 'audience') {
      audiences.push(value);
      continue;
    }
    if (params.has(name)) throw new OAuthError('invalid_request', `the parameter ${JSON.stringify(name)} is repeated`);
    params.set(name, value);
  }
  return { params, resources, audiences };
}
