/**
 * Sending an HTML page with the login pages' security headers: a strict Content-Security-Policy
 * (nothing loads; the one inline stylesheet, and a page's inline scripts when it has any (the
 * WebAuthn ceremonies), run under a per-response nonce; no script at all otherwise; forms may post only
 * to Inkan and to the origin the flow will redirect to, because browsers apply `form-action` to
 * the redirects that follow a form post), no framing, no MIME sniffing, no Referer, no caching.
 */
import crypto from 'node:crypto';
import type { Context } from 'koa';
import type { Markup } from './html/markup.js';
import { layout } from './html/pages.js';

/** The CSP source for where a form's response may redirect: an origin, or a private-use scheme. */
export function formTargetSource(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
    return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : undefined;
  } catch {
    return undefined;
  }
}

export function setNoStore(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.set('Referrer-Policy', 'no-referrer');
}

export function sendPage(
  ctx: Context,
  options: { status: number; title: string; content: Markup; formTargets?: readonly string[]; scripts?: readonly string[] },
): void {
  const scripts = options.scripts ?? [];
  const nonce = crypto.randomBytes(16).toString('base64');
  const targets = [...new Set((options.formTargets ?? []).map(formTargetSource).filter((source) => source !== undefined))];
  ctx.set(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      ...(scripts.length > 0 ? [`script-src 'nonce-${nonce}'`] : []),
      "img-src 'self' data:",
      `form-action 'self'${targets.map((source) => ` ${source}`).join('')}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  );
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  setNoStore(ctx);
  ctx.status = options.status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = layout(options.title, nonce, options.content, scripts);
}

export function sendRedirect(ctx: Context, location: string): void {
  setNoStore(ctx);
  ctx.status = ctx.method === 'GET' || ctx.method === 'HEAD' ? 302 : 303;
  ctx.set('Location', location);
  ctx.body = '';
}
