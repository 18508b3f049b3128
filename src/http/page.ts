/**
 * Sending an HTML page with the login pages' security headers: a strict Content-Security-Policy
 * (nothing loads but what a page names: the one inline stylesheet and, on a page that uses
 * passkeys, Inkan's own scripts (http/endpoints/assets.ts), each under a per-response nonce, with
 * fetch to Inkan only; images from Inkan, the operator's logo origin and, on consent, the client's
 * logo origin; no inline script or handler ever runs; forms may post only
 * to Inkan and to the origin the flow will redirect to, because browsers apply `form-action` to
 * the redirects that follow a form post), no framing, no MIME sniffing, no Referer, no caching.
 *
 * `Pages` carries what every page shares: the operator's brand (config.ts BRAND_*) and the choice
 * of language (i18n/locales.ts: `ui_locales`, then Accept-Language, then English).
 */
import crypto from 'node:crypto';
import type { Context } from 'koa';
import type { BrandConfig } from '../config.js';
import { negotiateLocale, type Locale } from '../i18n/locales.js';
import { messagesFor, type Messages } from '../i18n/messages.js';
import { OAuthError } from '../oauth/errors.js';
import type { Markup } from './html/markup.js';
import { errorPage, layout } from './html/pages.js';

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

/** The CSP source of an image: the origin of an https URL; nothing for a path (it is 'self'). */
export function imageSource(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    return url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

export function setNoStore(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.set('Referrer-Policy', 'no-referrer');
}

export interface PageOptions {
  readonly status: number;
  /** The page's language: its messages and `<html lang>`. */
  readonly locale: Locale;
  readonly title: string;
  readonly content: Markup;
  readonly formTargets?: readonly string[];
  /** Script URLs of Inkan's own (http/endpoints/assets.ts). */
  readonly scripts?: readonly string[];
  /** Image URLs the page shows beyond the brand's logo (a client's `logo_uri`): their origins join img-src. */
  readonly images?: readonly string[];
}

/** Where an error page's heading comes from: the generic one, or a sign-in's or sign-out's. */
export type ErrorHeading = 'heading' | 'signInHeading' | 'signOutHeading';

export interface Pages {
  readonly brand: BrandConfig;
  /** The language of this request's page: the request's `ui_locales` first, then Accept-Language. */
  locale(ctx: Context, uiLocales?: readonly string[]): Locale;
  send(ctx: Context, options: PageOptions): void;
  /** An error page: the OAuth error's description (or a page's own message) under a localized heading. */
  error(ctx: Context, locale: Locale, status: number, error: OAuthError | { description: string }, heading?: ErrorHeading): void;
}

export function createPages(brand: BrandConfig): Pages {
  const send = (ctx: Context, options: PageOptions): void => {
    const scripts = options.scripts ?? [];
    const nonce = crypto.randomBytes(16).toString('base64');
    const sources = (uris: readonly string[], source: (uri: string) => string | undefined) => [...new Set(uris.map(source).filter((value) => value !== undefined))];
    const targets = sources(options.formTargets ?? [], formTargetSource);
    const images = sources([...(brand.logoUrl === undefined ? [] : [brand.logoUrl]), ...(options.images ?? [])], imageSource);
    ctx.set(
      'Content-Security-Policy',
      [
        "default-src 'none'",
        `style-src 'nonce-${nonce}'`,
        ...(scripts.length > 0 ? [`script-src 'nonce-${nonce}'`, "connect-src 'self'"] : []),
        `img-src 'self' data:${images.map((source) => ` ${source}`).join('')}`,
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
    ctx.set('Content-Language', options.locale);
    ctx.body = layout({ locale: options.locale, t: messagesFor(options.locale), brand, title: options.title, nonce, content: options.content, scripts });
  };
  return {
    brand,
    locale: (ctx, uiLocales) => negotiateLocale(uiLocales, ctx.get('Accept-Language') || undefined),
    send,
    error(ctx, locale, status, error, heading = 'heading') {
      // An error's own headers (`Connection: close` after a refused body) go out with its page.
      if (error instanceof OAuthError) ctx.set(error.headers);
      const t: Messages = messagesFor(locale);
      send(ctx, { status, locale, title: t.error.title, content: errorPage(t, t.error[heading], error.description) });
    },
  };
}

export function sendRedirect(ctx: Context, location: string): void {
  setNoStore(ctx);
  ctx.status = ctx.method === 'GET' || ctx.method === 'HEAD' ? 302 : 303;
  ctx.set('Location', location);
  ctx.body = '';
}
