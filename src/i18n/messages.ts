/**
 * The message catalogues of Inkan's pages: one TypeScript object per locale, all of the shape of
 * the English one (`Messages`), so a missing or misspelt key is a compile error, and
 * test/i18n/catalogues.test.ts checks the same at run time along with each message's
 * `{placeholders}`. Adding a language: a file like ja.ts, its tag in locales.ts
 * SUPPORTED_LOCALES, and a line in CATALOGUES below (docs/architecture.md, "Languages").
 */
import { de } from './de.js';
import { en } from './en.js';
import { ja } from './ja.js';
import type { Locale } from './locales.js';

/** The shape of a catalogue: en.ts's keys, every leaf a string. */
type Shape<T> = { readonly [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
export type Messages = Shape<typeof en>;

const CATALOGUES: Readonly<Record<Locale, Messages>> = { en, ja, de };

export function messagesFor(locale: Locale): Messages {
  return CATALOGUES[locale];
}

/** Fills a message's `{name}` placeholders (plain text; the page escapes the result). */
export function format(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{([a-z]+)\}/gi, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
