/**
 * The grants Inkan serves, by grant_type: the one list the token endpoint looks a request's grant
 * up in and discovery lists as `grant_types_supported`. Every grant has the shape of grant.ts; to
 * add one, write its file and add it here with what it needs.
 */
import type { IssuanceObserver } from '../audit/token-issuance.js';
import type { Clock } from '../clock.js';
import type { RefreshTokenService } from '../refresh/service.js';
import type { Revoker } from '../revocation/revoker.js';
import type { Stores } from '../storage/stores.js';
import type { AccessTokenDeps } from '../tokens/access-token.js';
import type { IdTokenDeps } from '../tokens/id-token.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import type { Grant } from './grant.js';
import { refreshTokenGrant } from './refresh-token.js';

export interface GrantRegistryDeps {
  readonly tokens: AccessTokenDeps;
  readonly idTokens: IdTokenDeps;
  readonly clock: Clock;
  readonly stores: Pick<Stores, 'authorizationCodes' | 'users' | 'sessions'>;
  /** Ends the grant of a replayed authorization code. */
  readonly revoker: Pick<Revoker, 'endGrant'>;
  /** Started by the code grant, rotated by the refresh grant. */
  readonly refreshTokens: RefreshTokenService;
  /** Told of every access token issued (metrics and the audit log). */
  readonly observer: IssuanceObserver;
}

export type GrantRegistry = ReadonlyMap<string, Grant>;

export function grantRegistry(deps: GrantRegistryDeps): GrantRegistry {
  const { tokens, idTokens, refreshTokens, observer } = deps;
  const grants: readonly Grant[] = [
    clientCredentialsGrant(tokens, observer),
    authorizationCodeGrant({ tokens, idTokens, clock: deps.clock, stores: deps.stores, revoker: deps.revoker, refreshTokens, observer }),
    refreshTokenGrant({ tokens, idTokens, refreshTokens, observer }),
  ];
  return new Map(grants.map((grant) => [grant.grantType, grant]));
}
