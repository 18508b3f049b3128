/**
 * The cookies of the login pages, written by hand (Koa's cookie writer refuses `Secure` on a
 * plain-HTTP hop behind a TLS proxy). Always HttpOnly, SameSite=Lax, Path=/; `Secure` and the
 * `__Host-` name prefix (no Domain, Path=/, Secure: the browser then refuses the cookie from
 * anything but this exact origin) when the issuer is https.
 */
import type { Context } from 'koa';

export interface CookieJar {
  get(ctx: Context, name: CookieName): string | undefined;
  set(ctx: Context, name: CookieName, value: string, maxAgeSeconds: number): void;
  clear(ctx: Context, name: CookieName): void;
}

/** `session`: the login session's secret. `browser`: binds pending authorization requests to this browser. */
export type CookieName = 'session' | 'browser';

const VALUE_SHAPE = /^[A-Za-z0-9_-]{1,200}$/;

export function cookieJar(issuer: string): CookieJar {
  const secure = issuer.startsWith('https://');
  const fullName = (name: CookieName) => `${secure ? '__Host-' : ''}inkan_${name}`;
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  return {
    get(ctx, name) {
      const value = ctx.cookies.get(fullName(name));
      return value !== undefined && VALUE_SHAPE.test(value) ? value : undefined;
    },
    set(ctx, name, value, maxAgeSeconds) {
      ctx.append('Set-Cookie', `${fullName(name)}=${value}; Max-Age=${maxAgeSeconds}; ${attributes}`);
    },
    clear(ctx, name) {
      ctx.append('Set-Cookie', `${fullName(name)}=; Max-Age=0; ${attributes}`);
    },
  };
}
