/**
 * Strict reading of `application/x-www-form-urlencoded` request bodies for the OAuth endpoints
 * (RFC 6749 §3.2): a size limit, the right content type, no parameter twice (but `resource`, which
 * RFC 8707 lets repeat), and empty values treated as absent (§3.1).
 */
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { OAuthError } from '../oauth/errors.js';

export const FORM_LIMIT_BYTES = 64 * 1024;
const REPEATABLE = new Set(['resource']);

export interface ParsedForm {
  readonly params: ReadonlyMap<string, string>;
  readonly resources: readonly string[];
}

export async function readForm(ctx: Context): Promise<ParsedForm> {
  if (!ctx.request.is('application/x-www-form-urlencoded')) {
    throw new OAuthError('invalid_request', 'the request body must be application/x-www-form-urlencoded');
  }
  let body: string;
  try {
    body = await getRawBody(ctx.req, { limit: FORM_LIMIT_BYTES, length: ctx.request.length, encoding: 'utf8' });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') {
      throw new OAuthError('invalid_request', `the request body is larger than ${FORM_LIMIT_BYTES} bytes`, { status: 413, cause: error });
    }
    throw new OAuthError('invalid_request', 'the request body could not be read', { cause: error });
  }
  return parseForm(body);
}

export function parseForm(body: string): ParsedForm {
  const params = new Map<string, string>();
  const resources: string[] = [];
  for (const [name, value] of new URLSearchParams(body)) {
    if (value === '') continue;
    if (REPEATABLE.has(name)) {
      resources.push(value);
      continue;
    }
    if (params.has(name)) throw new OAuthError('invalid_request', `the parameter ${JSON.stringify(name)} is repeated`);
    params.set(name, value);
  }
  return { params, resources };
}
