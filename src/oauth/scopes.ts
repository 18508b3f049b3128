/**
 * Scope policy (RFC 6749 §3.3): a request may ask only for scopes the client was registered with.
 * Also the scopes Inkan itself gives a meaning to beyond OpenID Connect's.
 */
import { OAuthError } from './errors.js';

/** What a resource server's token must carry to read the revocation push feed (revocation/feed.ts). */
export const FEED_SCOPE = 'revocations:read';

/** What a Shared Signals receiver's token must carry to manage its event streams and poll them (shared-signals/). */
export const SSF_SCOPE = 'ssf';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function parseScope(value: string): string[] {
  const tokens = value.split(' ').filter((token) => token !== '');
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) throw new OAuthError('invalid_scope', 'scope contains a character that is not allowed');
  }
  return [...new Set(tokens)];
}

/**
 * The granted scope: what was asked for when every part is allowed; `whenAbsent` when nothing was
 * asked for (client credentials: everything the client may have). `refusal` words the
 * invalid_scope description from the refused scopes, quoted.
 */
export function grantScopes(
  requested: string | undefined,
  allowed: readonly string[],
  whenAbsent: readonly string[],
  refusal: (quoted: string) => string = (quoted) => `the client may not request the scope ${quoted}`,
): string[] {
  if (requested === undefined) return [...whenAbsent];
  const scopes = parseScope(requested);
  const refused = scopes.filter((scope) => !allowed.includes(scope));
  if (refused.length > 0) throw new OAuthError('invalid_scope', refusal(refused.map((s) => JSON.stringify(s)).join(', ')));
  return scopes;
}
