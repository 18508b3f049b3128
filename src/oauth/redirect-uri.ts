/**
 * Redirect URIs (RFC 6749 §3.1.2, RFC 9700 §4.1.3): a requested redirect_uri must equal one of the
 * client's registered URIs character for character. The one exception is RFC 8252 §7.3: a native
 * app's loopback URI registered *without a port* (`http://127.0.0.1/cb`, `http://[::1]/cb`)
 * matches the same URI on any port, because the app only learns its port at run time. A loopback
 * URI registered with a port still needs that exact port.
 */
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
