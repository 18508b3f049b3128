/**
 * The message catalogues (src/i18n/): every locale has every key of the English one (the type
 * `Messages` already makes a missing key a compile error; this proves it at run time too), every
 * message is non-empty and keeps the English message's `{placeholders}`, and the labels the
 * operator contract names are the English ones.
 */
import { describe, expect, it } from 'vitest';
import { SUPPORTED_LOCALES } from '../../src/i18n/locales.js';
import { format, messagesFor } from '../../src/i18n/messages.js';
import { englishText, refusalText } from '../../src/i18n/refusals.js';

type Tree = { readonly [key: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'string') out.set(`${prefix}${key}`, value);
    else for (const [path, text] of leaves(value, `${prefix}${key}.`)) out.set(path, text);
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{([a-z]+)\}/gi)].map((match) => match[1]).sort();
const english = leaves(messagesFor('en') as unknown as Tree);

describe.each(SUPPORTED_LOCALES)('the %s catalogue', (locale) => {
  const messages = leaves(messagesFor(locale) as unknown as Tree);

  it('has exactly the keys of the English one', () => {
    expect([...messages.keys()].sort()).toEqual([...english.keys()].sort());
  });

  it('has a non-empty message with the same placeholders for every key', () => {
    for (const [key, text] of messages) {
      expect(text.trim(), key).not.toBe('');
      expect(placeholders(text), key).toEqual(placeholders(english.get(key)!));
    }
  });
});

it('keeps the labels of the operator contract in English', () => {
  const t = messagesFor('en');
  expect([t.login.email, t.login.password, t.login.submit, t.login.passkey, t.consent.allow, t.code.label, t.code.submit]).toEqual([
    'Email', 'Password', 'Sign in', 'Sign in with a passkey', 'Allow', 'Code', 'Verify',
  ]);
  expect([t.account.setUpApp, t.account.code, t.account.verify, t.passkeys.add]).toEqual(['Set up an authenticator app', 'Code', 'Verify', 'Add a passkey']);
});

it('translates the pages rather than copying English', () => {
  for (const locale of ['ja', 'de'] as const) {
    const t = messagesFor(locale);
    expect(t.login.submit).not.toBe('Sign in');
    expect(t.consent.allow).not.toBe('Allow');
    expect(t.scopes.email).not.toBe(messagesFor('en').scopes.email);
  }
  // Japanese in the polite form, German in the Sie-form.
  expect(messagesFor('ja').refusals.wrongPassword).toMatch(/ません。$/);
  expect(messagesFor('de').refusals.missingCredentials).toMatch(/^Geben Sie /);
});

it('fills placeholders and says how long to wait in each language', () => {
  expect(format('{a} and {b} and {c}', { a: 1, b: 'x' })).toBe('1 and x and {c}');
  expect(englishText({ key: 'signInThrottled', waitSeconds: 1 })).toBe('Too many sign-in attempts. Wait 1 second and try again.');
  expect(englishText({ key: 'codeThrottled', waitSeconds: 30 })).toBe('Too many wrong codes. Wait 30 seconds and try again.');
  expect(englishText({ key: 'signInThrottled', waitSeconds: 900 })).toBe('Too many sign-in attempts. Wait 15 minutes and try again.');
  expect(refusalText(messagesFor('de'), { key: 'signInThrottled', waitSeconds: 61 })).toBe('Zu viele Anmeldeversuche. Warten Sie 2 Minuten und versuchen Sie es dann erneut.');
  expect(refusalText(messagesFor('ja'), { key: 'codeThrottled', waitSeconds: 30 })).toBe('誤ったコードが多すぎます。30 秒待ってから、もう一度お試しください。');
});
