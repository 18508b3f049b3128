/**
 * Which language a page speaks. Inkan's pages come in the locales of SUPPORTED_LOCALES; the
 * choice, in order (OpenID Connect Core §3.1.2.1 `ui_locales`, then the browser):
 *  1. the `ui_locales` of the authorization request (or of an RP-initiated logout, RP-Initiated
 *     Logout 1.0 §2): space-separated BCP 47 tags in order of preference, the first supported wins;
 *  2. the `Accept-Language` header (RFC 9110 §12.5.4): the supported language of the highest
 *     quality, earlier entries winning ties, `q=0` meaning "not this one";
 *  3. English.
 * A tag matches by its primary language subtag (`de-DE` and `de-CH` are German), as RFC 4647
 * §3.4 lookup ends up doing for catalogues without regional variants.
 */

export const SUPPORTED_LOCALES = ['en', 'ja', 'de'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** At most this many `ui_locales` entries are kept from a request (the parameter's length is capped anyway). */
const MAX_UI_LOCALES = 20;
/** A BCP 47 language tag, loosely (RFC 5646 §2.1): alphanumeric subtags of up to 8, joined by hyphens. */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;

/** The supported locale a language tag names, by its primary subtag; undefined for any other. */
export function supportedLocale(tag: string): Locale | undefined {
  const primary = tag.split('-')[0]!.toLowerCase();
  return (SUPPORTED_LOCALES as readonly string[]).includes(primary) ? (primary as Locale) : undefined;
}

/**
 * The `ui_locales` parameter as the request keeps it: the well-formed tags in their order.
 * Tags Inkan does not know are kept too (they cost nothing and a later catalogue may know them);
 * malformed ones are ignored, as OIDC Core asks of unsupported values, rather than refused.
 */
export function parseUiLocales(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw
    .split(' ')
    .filter((tag) => LANGUAGE_TAG.test(tag))
    .slice(0, MAX_UI_LOCALES);
}

interface Weighted {
  readonly locale: Locale;
  readonly quality: number;
}

/** The supported locales of an Accept-Language header, best first; malformed entries are skipped. */
function acceptedLocales(header: string): Locale[] {
  const weighted: Weighted[] = [];
  const refused = new Set<Locale>();
  for (const entry of header.split(',')) {
    const [range, ...params] = entry.trim().split(';').map((part) => part.trim());
    if (range === undefined || range === '' || range === '*') continue;
    const locale = supportedLocale(range);
    if (locale === undefined) continue;
    let quality = 1;
    for (const param of params) {
      const match = /^q=(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/i.exec(param);
      if (match !== null) quality = Number(match[1]);
    }
    // `de;q=0` refuses German; `de-CH;q=0` refuses only that region, which a catalogue of `de` still serves.
    if (quality === 0 && range.toLowerCase() === locale) refused.add(locale);
    else if (quality > 0) weighted.push({ locale, quality });
  }
  // Array.prototype.sort is stable: of equal qualities, the earlier entry stays first.
  return weighted
    .sort((a, b) => b.quality - a.quality)
    .map((entry) => entry.locale)
    .filter((locale) => !refused.has(locale));
}

export function negotiateLocale(uiLocales: readonly string[] | undefined, acceptLanguage: string | undefined): Locale {
  for (const tag of uiLocales ?? []) {
    const locale = supportedLocale(tag);
    if (locale !== undefined) return locale;
  }
  if (acceptLanguage !== undefined) {
    const [best] = acceptedLocales(acceptLanguage);
    if (best !== undefined) return best;
  }
  return DEFAULT_LOCALE;
}
