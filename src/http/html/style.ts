/** The stylesheet of Inkan's pages, inlined under the CSP nonce (no external assets). */
export const STYLESHEET = `
:root {
  color-scheme: light dark;
  --bg: #f4f1ec; --card: #ffffff; --text: #1d1b19; --muted: #6b655e; --line: #dcd6cd;
  --accent: #b3261e; --accent-hover: #8f1d17; --accent-text: #ffffff; --focus: #1a5fb4;
  --error-bg: #fdecea; --error-text: #8a1c14; --error-line: #f3b8b2;
  --radius: 12px;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #161412; --card: #211e1b; --text: #f2eee9; --muted: #a8a097; --line: #3a3530;
    --accent: #e0574c; --accent-hover: #f07166; --accent-text: #1b0b09; --focus: #8ab4f8;
    --error-bg: #3a1d1a; --error-text: #ffb4ab; --error-line: #6e2e27;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body {
  min-height: 100vh; display: flex; flex-direction: column; align-items: center; justify-content: center;
  padding: 24px 16px; background: var(--bg); color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  -webkit-font-smoothing: antialiased;
}
main {
  width: 100%; max-width: 400px; background: var(--card); border: 1px solid var(--line);
  border-radius: var(--radius); padding: 32px 28px 28px; box-shadow: 0 1px 2px rgba(0,0,0,.04), 0 8px 24px rgba(0,0,0,.06);
}
.brand { display: flex; align-items: center; gap: 10px; margin-bottom: 24px; font-weight: 600; letter-spacing: .02em; }
.brand svg { width: 32px; height: 32px; flex: none; }
.brand img { height: 32px; width: auto; max-width: 160px; flex: none; object-fit: contain; }
.client-logo { display: block; width: 48px; height: 48px; object-fit: contain; margin: 0 0 16px; border-radius: 8px; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 4px; font-weight: 650; }
.lead { margin: 0 0 24px; color: var(--muted); }
.lead strong { color: var(--text); font-weight: 600; }
form { margin: 0; }
.field { margin-bottom: 16px; }
label { display: block; font-size: .875rem; font-weight: 600; margin-bottom: 6px; }
input[type=email], input[type=password], input[type=text] {
  width: 100%; padding: 11px 12px; font: inherit; color: var(--text); background: var(--card);
  border: 1px solid var(--line); border-radius: 8px; transition: border-color .15s, box-shadow .15s;
}
input:focus { outline: none; border-color: var(--focus); box-shadow: 0 0 0 3px color-mix(in srgb, var(--focus) 30%, transparent); }
button {
  width: 100%; padding: 12px 16px; margin-top: 8px; font: inherit; font-weight: 600; cursor: pointer;
  border-radius: 8px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text);
  transition: background .15s, border-color .15s;
}
button:hover { background: var(--accent-hover); border-color: var(--accent-hover); }
button:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
button.secondary { background: transparent; color: var(--text); border-color: var(--line); }
button.secondary:hover { background: color-mix(in srgb, var(--text) 6%, transparent); }
.actions { display: flex; flex-direction: row-reverse; gap: 12px; margin-top: 24px; }
.actions button { margin-top: 0; }
.alert {
  margin: 0 0 20px; padding: 12px 14px; border-radius: 8px; font-size: .9375rem;
  background: var(--error-bg); color: var(--error-text); border: 1px solid var(--error-line);
}
.scopes { list-style: none; margin: 0; padding: 0; border: 1px solid var(--line); border-radius: 8px; }
.scopes li { padding: 12px 14px; display: flex; gap: 10px; align-items: flex-start; }
.scopes li + li { border-top: 1px solid var(--line); }
.scopes li::before { content: ""; flex: none; width: 8px; height: 8px; margin-top: 8px; border-radius: 50%; background: var(--accent); }
.hint { margin: 6px 0 0; font-size: .8125rem; color: var(--muted); }
.notice { margin: 0 0 20px; padding: 12px 14px; border-radius: 8px; font-size: .9375rem; border: 1px solid var(--line); }
h2 { font-size: 1.0625rem; line-height: 1.3; margin: 28px 0 10px; font-weight: 650; }
section > h2:first-child { margin-top: 0; }
.panel { margin-top: 24px; }
.panel p { margin: 0 0 12px; }
code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .9375rem; }
.factors { list-style: none; margin: 0 0 16px; padding: 0; border: 1px solid var(--line); border-radius: 8px; }
.factors li { padding: 10px 14px; display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; }
.factors li + li { border-top: 1px solid var(--line); }
.factor-name { font-weight: 600; }
.factor-meta { color: var(--muted); font-size: .875rem; flex: 1; white-space: nowrap; }
form.inline { margin: 0; }
.factors form.rename { display: flex; gap: 8px; align-items: center; flex-basis: 100%; margin: 4px 0 0; }
.factors form.rename input { flex: 1; min-width: 0; padding: 6px 10px; }
form.passkey { margin-top: 12px; }
.passkeys .factor-meta { white-space: normal; }
.visually-hidden { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
button.small { width: auto; padding: 6px 12px; margin-top: 0; font-size: .875rem; }
svg.qr { display: block; width: 200px; height: 200px; margin: 8px auto 16px; border-radius: 4px; }
.secret-line code, .uri { word-break: break-all; }
details { margin: 0 0 16px; font-size: .875rem; color: var(--muted); }
details a { color: var(--text); }
.recovery-codes { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 6px 16px; margin: 0; padding: 12px 14px 12px 36px; border: 1px solid var(--line); border-radius: 8px; }
.recovery-codes code { white-space: nowrap; }
.factor-sections:empty { display: none; }
.account { margin: 16px 0 0; font-size: .875rem; color: var(--muted); }
.divider { display: flex; align-items: center; gap: 12px; margin: 20px 0 12px; color: var(--muted); font-size: .875rem; }
.divider::before, .divider::after { content: ""; flex: 1; border-top: 1px solid var(--line); }
form.passkey .alert { margin: 12px 0 0; }
[hidden] { display: none !important; }
.footer { margin-top: 20px; font-size: .8125rem; color: var(--muted); text-align: center; }
/* The operator console (console-pages.ts): a wider card for its lists; long ids wrap. */
main:has(.console) { max-width: 880px; }
.console code, .console .factor-name { overflow-wrap: anywhere; }
.console fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 16px; }
.console fieldset label, .console form > label { display: block; font-weight: 400; }
.console select, .console textarea { width: 100%; font: inherit; padding: 6px 8px; }
@media (max-width: 480px) {
  body { justify-content: flex-start; padding-top: 32px; }
  main { padding: 24px 20px; border-radius: 10px; }
  .actions { flex-direction: column; }
  .recovery-codes { grid-template-columns: 1fr; }
}
`;

/** Relative luminance (WCAG 2.x) of a validated `#rgb`/`#rrggbb` colour. */
function luminance(hex: string): number {
  const digits = hex.length === 4 ? [...hex.slice(1)].map((digit) => digit + digit).join('') : hex.slice(1);
  const [r, g, b] = [0, 2, 4].map((at) => {
    const channel = parseInt(digits.slice(at, at + 2), 16) / 255;
    return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/**
 * The operator's accent colour (config.ts BRAND_ACCENT_COLOR, a validated hex colour) over the
 * stylesheet's, in light and dark mode alike: button text white or near-black, whichever reads
 * better on it (WCAG contrast against white ≥ 4.5 ⇔ luminance ≤ 0.18), a darker shade on hover.
 */
export function accentStyle(accentColor: string | undefined): string {
  if (accentColor === undefined) return '';
  const text = luminance(accentColor) <= 0.18 ? '#ffffff' : '#1b0b09';
  return `\n:root { --accent: ${accentColor}; --accent-hover: color-mix(in srgb, ${accentColor} 82%, #000); --accent-text: ${text}; }\n`;
}
