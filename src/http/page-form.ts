/**
 * Reading the forms of Inkan's own pages (login, consent, logout, a POSTed authorization request):
 * `application/x-www-form-urlencoded`, at most 16 KiB (413 beyond), returned as pairs so that the
 * caller sees repeated parameters.
 */
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { OAuthError } from '../oauth/errors.js';

export const PAGE_FORM_LIMIT_BYTES = 16 * 1024;

export async function readPageForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.request.is('application/x-www-form-urlencoded')) {
    throw new OAuthError('invalid_request', 'the form must be sent as application/x-www-form-urlencoded', { status: 415 });
  }
  let body: string;
  try {
    body = await getRawBody(ctx.req, { limit: PAGE_FORM_LIMIT_BYTES, length: ctx.request.length, encoding: 'utf8' });
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') {
      throw new OAuthError('invalid_request', `the form is larger than ${PAGE_FORM_LIMIT_BYTES} bytes`, { status: 413, cause: error });
    }
    throw new OAuthError('invalid_request', 'the form could not be read', { cause: error });
  }
  return new URLSearchParams(body);
}

/** A single-valued field: undefined when absent, empty or repeated. */
export function field(form: URLSearchParams, name: string): string | undefined {
  const values = form.getAll(name);
  return values.length === 1 && values[0] !== '' ? values[0] : undefined;
}
