/**
 * The one script of Inkan's pages, served as /assets/passkeys.js under the page's CSP nonce (never
 * inline, no inline handlers). It drives each `form[data-passkey]` (pages.ts `passkeyForm`) with
 * @simplewebauthn/browser (served beside it as /assets/simplewebauthn-browser.js, which defines
 * `SimpleWebAuthnBrowser`): shows the form when the browser has WebAuthn; on the button, POSTs the
 * form's CSRF token to `data-options`, runs the ceremony with the options it gets, writes the
 * answer (JSON) into the `credential` field and submits the form, whose answer is an ordinary page.
 * Without JavaScript or WebAuthn the page is the password form alone.
 */
export const PASSKEY_SCRIPT = `'use strict';
(function () {
  var webauthn = window.SimpleWebAuthnBrowser;
  if (!webauthn || !webauthn.browserSupportsWebAuthn()) return;
  var forms = document.querySelectorAll('form[data-passkey]');
  Array.prototype.forEach.call(forms, function (form) {
    var button = form.querySelector('[data-passkey-start]');
    var error = form.querySelector('[data-passkey-error]');
    var divider = document.querySelector('[data-passkey-divider]');
    form.hidden = false;
    if (divider) divider.hidden = false;
    function fail(message) {
      error.textContent = message;
      error.hidden = false;
      button.disabled = false;
    }
    button.addEventListener('click', function () {
      button.disabled = true;
      error.hidden = true;
      var body = new URLSearchParams();
      body.set('csrf', form.elements.csrf.value);
      fetch(form.getAttribute('data-options'), { method: 'POST', body: body, credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) {
          return response.json().then(function (json) {
            if (!response.ok) throw new Error(json.error_description || 'The passkey request failed. Reload the page and try again.');
            return json;
          });
        })
        .then(function (options) {
          return form.getAttribute('data-passkey') === 'registration'
            ? webauthn.startRegistration({ optionsJSON: options })
            : webauthn.startAuthentication({ optionsJSON: options });
        })
        .then(function (answer) {
          form.elements.credential.value = JSON.stringify(answer);
          form.submit();
        })
        .catch(function (problem) {
          fail(problem && problem.name === 'NotAllowedError' ? 'The passkey request was cancelled or timed out.' : (problem && problem.message) || 'The passkey request failed.');
        });
    });
  });
})();
`;
