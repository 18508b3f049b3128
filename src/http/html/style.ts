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
.account { margin: 16px 0 0; font-size: .875rem; color: var(--muted); }
.divider { display: flex; align-items: center; gap: 12px; margin: 20px 0 12px; color: var(--muted); font-size: .875rem; }
.divider::before, .divider::after { content: ""; flex: 1; border-top: 1px solid var(--line); }
form.passkey .alert { margin: 12px 0 0; }
[hidden] { display: none !important; }
.footer { margin-top: 20px; font-size: .8125rem; color: var(--muted); text-align: center; }
@media (max-width: 480px) {
  body { justify-content: flex-start; padding-top: 32px; }
  main { padding: 24px 20px; border-radius: 10px; }
  .actions { flex-direction: column; }
}
`;
