/**
 * Redirect URIs (RFC 6749 §3.1.2, RFC 9700 §4.1.3): a requested redirect_uri must equal one of the
 * client's registered URIs character for character. The one exception is RFC 8252 §7.3: a native
 * app's loopback URI registered *without a port* (`http://127.0.0.1/cb`, `http://[::1]/cb`)
 * matches the same URI on any port, because the app only learns its port at run time. A loopback
 * URI registered with a port still needs that exact port.
 *
 * What may be registered (`redirectUriProblem`), for every client alike: https; plain http only on
 * a loopback host (RFC 8252 §7.3, RFC 9700 §2.6: a code sent in clear over a network can be read
 * by anyone on the way, confidential client or not); or a private-use scheme that is a reverse
 * domain name, so with a dot (`com.example.app:/cb`, RFC 8252 §7.1), which also keeps out
 * `javascript:`, `data:`, `file:` and every other scheme a browser or the OS would act on. Never
 * userinfo (`user:pass@`, a phishing vector) nor a fragment (RFC 6749 §3.1.2).
 *
 * A back-channel logout URI (`webUriProblem`) follows the same rules minus the private-use
 * schemes: OpenID Connect Back-Channel Logout 1.0 §2.2 wants an absolute http(s) URI without a
 * fragment, and Inkan POSTs logout tokens to it, so they travel in clear only on loopback.
 */
/** The hosts that mean this machine (RFC 8252 §7.3, §8.3). */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why `value` cannot be registered as a redirect URI, or undefined when it can. */
export function redirectUriProblem(value: string): string | undefined {
  return uriProblem(value, true);
}

/**
 * Why `value` cannot be registered as a URI that Inkan itself calls over HTTP (a back-channel
 * logout URI): the redirect-URI rules without the private-use schemes, which no server answers.
 */
export function webUriProblem(value: string): string | undefined {
  return uriProblem(value, false);
}

function uriProblem(value: string, privateUseSchemes: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URI';
  }
  if (url.hash !== '' || value.includes('#')) return 'must not have a fragment';
  if (url.username !== '' || url.password !== '') return 'must not carry userinfo (user:password@)';
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return undefined;
  if (scheme === 'http') {
    return LOOPBACK_HOSTS.has(url.hostname) ? undefined : 'uses plain http off loopback: use https, or http on 127.0.0.1, [::1] or localhost';
  }
  if (!privateUseSchemes) return 'must be https, or http on a loopback host';
  if (!scheme.includes('.')) return 'must be https, http on a loopback host, or a private-use scheme with a dot such as com.example.app:/callback (RFC 8252 §7.1)';
  return undefined;
}

const LOOPBACK_WITH_PORT = /^(http:\/\/(?:127\.0\.0\.1|\[::1\])):(\d{1,5})(?=[/?]|$)/;
const MAX_PORT = 65535;
const LOOPBACK_WITHOUT_PORT = /^http:\/\/(?:127\.0\.0\.1|\[::1\])(?=[/?]|$)/;

export function matchRedirectUri(requested: string, registered: readonly string[]): boolean {
  if (registered.includes(requested)) return true;
  const port = LOOPBACK_WITH_PORT.exec(requested)?.[2];
  if (port === undefined || Number(port) > MAX_PORT) return false;
  const portless = requested.replace(LOOPBACK_WITH_PORT, '$1');
  return registered.some((uri) => LOOPBACK_WITHOUT_PORT.test(uri) && uri === portless);
}

/** The authorization response: parameters appended to the redirect URI's query (response_mode=query). */
export function redirectWith(redirectUri: string, params: Readonly<Record<string, string | null | undefined>>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== null && value !== undefined) url.searchParams.append(name, value);
  return url.href;
}
