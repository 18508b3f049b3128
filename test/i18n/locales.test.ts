/** The choice of a page's language (src/i18n/locales.ts): ui_locales, then Accept-Language, then English. */
import { describe, expect, it } from 'vitest';
import { negotiateLocale, parseUiLocales, SUPPORTED_LOCALES } from '../../src/i18n/locales.js';

describe('negotiateLocale', () => {
  it('takes the first supported ui_locales entry, by primary language subtag', () => {
    expect(negotiateLocale(['ja'], undefined)).toBe('ja');
    expect(negotiateLocale(['fr', 'de'], 'ja')).toBe('de');
    expect(negotiateLocale(['fr-CA', 'ja-JP', 'de'], undefined)).toBe('ja');
    expect(negotiateLocale(['DE-at'], undefined)).toBe('de');
  });

  it('falls back to Accept-Language when no ui_locales entry is supported, honouring quality values', () => {
    expect(negotiateLocale(['fr'], 'de-DE,de;q=0.9,en;q=0.5')).toBe('de');
    expect(negotiateLocale([], 'en;q=0.5, ja;q=0.8, de;q=0.7')).toBe('ja');
    expect(negotiateLocale(undefined, 'fr-FR, fr;q=0.9, de;q=0.2, en;q=0.1')).toBe('de');
    // Equal qualities: the earlier entry wins.
    expect(negotiateLocale(undefined, 'de, ja')).toBe('de');
    // q=0 means "not this one".
    expect(negotiateLocale(undefined, 'ja;q=0, de;q=0.1')).toBe('de');
    expect(negotiateLocale(undefined, 'de-CH;q=0, de;q=0.4')).toBe('de');
    // A malformed quality is ignored: the range keeps the default of 1.
    expect(negotiateLocale([], 'ja;q=banana')).toBe('ja');
  });

  it('answers English for nothing supported, nothing asked, or a malformed header', () => {
    expect(negotiateLocale(['fr', 'es'], 'fr-FR, pt;q=0.8')).toBe('en');
    expect(negotiateLocale(undefined, undefined)).toBe('en');
    expect(negotiateLocale([], '*')).toBe('en');
    expect(negotiateLocale([], ';;,=,q=1')).toBe('en');
  });
});

describe('parseUiLocales', () => {
  it('keeps well-formed BCP 47 tags in order and drops the rest', () => {
    expect(parseUiLocales('fr-CA fr en')).toEqual(['fr-CA', 'fr', 'en']);
    expect(parseUiLocales('ja  <script> de_DE de')).toEqual(['ja', 'de']);
    expect(parseUiLocales(undefined)).toEqual([]);
    expect(parseUiLocales(Array.from({ length: 30 }, () => 'fr').join(' '))).toHaveLength(20);
  });
});

it('supports English, Japanese and German', () => {
  expect(SUPPORTED_LOCALES).toEqual(['en', 'ja', 'de']);
});
