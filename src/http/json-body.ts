/**
 * A JSON object request body (the admin API, the Shared Signals endpoints): `application/json`
 * (415 otherwise), at most `limitBytes` (413), a JSON object (400 otherwise); an empty body is
 * `{}` when the endpoint makes it optional.
 */
import type { Context } from 'koa';
import { OAuthError } from '../oauth/errors.js';
import { readLimitedBody } from './form.js';

export type JsonObject = Readonly<Record<string, unknown>>;

export async function jsonBody(ctx: Context, limitBytes: number, optional = false): Promise<JsonObject> {
  const length = ctx.request.length;
  if (optional && (length === 0 || (length === undefined && ctx.get('transfer-encoding') === ''))) return {};
  if (!ctx.request.is('application/json')) {
    throw new OAuthError('invalid_request', 'the request body must be application/json', { status: 415 });
  }
  const text = await readLimitedBody(ctx.req, limitBytes, 'the request body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OAuthError('invalid_request', 'the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new OAuthError('invalid_request', 'the request body must be a JSON object');
  return parsed as JsonObject;
}
