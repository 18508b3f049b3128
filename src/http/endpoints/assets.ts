/**
 * GET /assets/…: the scripts of the passkey pages and of the operator console, the only JavaScript
 * Inkan serves. Each is read once when the routes are built: @simplewebauthn/browser's own browser
 * bundle, as its package ships it, Inkan's page script (html/passkey-script.ts) and the console's
 * (html/console-script.ts). Pages load them under their CSP
 * nonce (page.ts); they are answered as `text/javascript` with `nosniff`, an ETag, and a short
 * public cache life, so an upgrade reaches browsers within minutes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { KoaHandler } from '../route.js';
import { CONSOLE_SCRIPT } from '../html/console-script.js';
import { PASSKEY_SCRIPT } from '../html/passkey-script.js';

export const ASSET_PATHS = {
  webauthnBrowser: '/assets/simplewebauthn-browser.js',
  passkeys: '/assets/passkeys.js',
  console: '/assets/console.js',
} as const;

const CACHE_CONTROL = 'public, max-age=300';

/** The UMD bundle of @simplewebauthn/browser (it defines `SimpleWebAuthnBrowser`); the package exports only its modules, so it is found beside them. */
function webauthnBrowserBundle(): string {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  const packageRoot = path.resolve(path.dirname(entry), '..');
  return fs.readFileSync(path.join(packageRoot, 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}

function scriptEndpoint(body: string): KoaHandler {
  const etag = `"${crypto.createHash('sha256').update(body, 'utf8').digest('base64url').slice(0, 27)}"`;
  return (ctx) => {
    ctx.set('Cache-Control', CACHE_CONTROL);
    ctx.set('ETag', etag);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    if (ctx.get('If-None-Match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.status = 200;
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = body;
  };
}

export function assetEndpoints(): { readonly webauthnBrowser: KoaHandler; readonly passkeys: KoaHandler; readonly console: KoaHandler } {
  return { webauthnBrowser: scriptEndpoint(webauthnBrowserBundle()), passkeys: scriptEndpoint(PASSKEY_SCRIPT), console: scriptEndpoint(CONSOLE_SCRIPT) };
}
