/**
 * The operator console's script, served as /assets/console.js under the page's CSP nonce (never
 * inline, no inline handlers): before a form marked `data-confirm` is sent, it asks the operator
 * with the form's own words. The console works without it; revoking a key is also confirmed by a
 * checkbox the server requires (console-pages.ts).
 */
export const CONSOLE_SCRIPT = `'use strict';
(function () {
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute('data-confirm');
    if (question !== null && !window.confirm(question)) event.preventDefault();
  });
})();
`;
