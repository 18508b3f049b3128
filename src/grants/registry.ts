/**
 * The grants Inkan serves, by grant_type: the one list the token endpoint looks a request's grant
 * up in and discovery lists as `grant_types_supported`. Every grant has the shape of grant.ts; to
 * add one, write its file and add it here with what it needs.
 */
import type { IssuanceObserver } from '../audit/token-issuance.js';
import { authorizationCodeGrant, type AuthorizationCodeGrantDeps } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { deviceCodeGrant, type DeviceCodeGrantDeps } from './device-code.js';
import type { Grant } from './grant.js';
import { refreshTokenGrant, type RefreshTokenGrantDeps } from './refresh-token.js';
import { tokenExchangeGrant, type TokenExchangeGrantDeps } from './token-exchange.js';

/** What the grants need, together: the server always has refresh tokens and an observer. */
export type GrantRegistryDeps = AuthorizationCodeGrantDeps & RefreshTokenGrantDeps & TokenExchangeGrantDeps & DeviceCodeGrantDeps & { readonly observer: IssuanceObserver };

export type GrantRegistry = ReadonlyMap<string, Grant>;

export function grantRegistry(deps: GrantRegistryDeps): GrantRegistry {
  const grants: readonly Grant[] = [
    clientCredentialsGrant(deps.tokens, deps.observer),
    authorizationCodeGrant(deps),
    refreshTokenGrant(deps),
    tokenExchangeGrant(deps),
    deviceCodeGrant(deps),
  ];
  return new Map(grants.map((grant) => [grant.grantType, grant]));
}
