/**
 * A tiny HTML builder that escapes every interpolated value unless it is already `Markup`, so a
 * client name or an email can never inject markup into Inkan's pages.
 */
export class Markup {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

type Value = Markup | string | number | null | undefined | false | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Markup) return value.html;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Markup(out);
}

/**
 * A catalogue message (i18n/) with `{name}` placeholders as markup: the message's own text is
 * escaped, and each placeholder becomes its value (escaped too unless it is `Markup`, so a value
 * may be `html\`<strong>${name}</strong>\``). Word order stays the translation's.
 */
export function fill(template: string, values: Readonly<Record<string, Value>>): Markup {
  let out = '';
  let last = 0;
  for (const match of template.matchAll(/\{([a-z]+)\}/gi)) {
    const name = match[1]!;
    if (!(name in values)) continue;
    out += escapeHtml(template.slice(last, match.index)) + render(values[name]!);
    last = match.index + match[0].length;
  }
  return new Markup(out + escapeHtml(template.slice(last)));
}
