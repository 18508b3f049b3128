/**
 * Reading the forms of Inkan's own pages (login, consent, logout, a POSTed authorization request):
 * `application/x-www-form-urlencoded`, at most 16 KiB (413 beyond), returned as pairs so that the
 * caller sees repeated parameters.
 */
import type { Context } from 'koa';
import { readUrlEncodedBody } from './form.js';

export const PAGE_FORM_LIMIT_BYTES = 16 * 1024;

export async function readPageForm(ctx: Context): Promise<URLSearchParams> {
  return new URLSearchParams(await readUrlEncodedBody(ctx.req, { limitBytes: PAGE_FORM_LIMIT_BYTES, noun: 'the form', wrongTypeStatus: 415 }));
}

/** A single-valued field: undefined when absent, empty or repeated. */
export function field(form: URLSearchParams, name: string): string | undefined {
  const values = form.getAll(name);
  return values.length === 1 && values[0] !== '' ? values[0] : undefined;
}
