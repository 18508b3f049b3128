/**
 * The shape every grant has. The token endpoint owns the shared steps (parse, authenticate the
 * client, check that the client may use the grant) so that no grant can forget one; a grant only
 * turns an authenticated `TokenRequest` into a `TokenResponse`, and tells an `IssuanceObserver`
 * (audit/token-issuance.ts) of each access token it issues. grants/registry.ts lists them all.
 */
import type { ClientRecord } from '../storage/clients.js';

export interface TokenRequest {
  readonly grantType: string;
  readonly client: ClientRecord;
  /** Single-valued form parameters (duplicates were already refused). */
  readonly params: ReadonlyMap<string, string>;
  /** `resource` may repeat (RFC 8707). */
  readonly resources: readonly string[];
  /** `audience` may repeat (RFC 8693 §2.1, token exchange); absent means none. */
  readonly audiences?: readonly string[];
  /** Where the request came from, for the audit trail (X-Request-Id, client address). */
  readonly requestId?: string;
  readonly clientAddress?: string;
  /** The verified DPoP proof's key (RFC 9449): tokens are bound to it (`cnf.jkt`, token_type DPoP). */
  readonly dpop?: { readonly jkt: string } | undefined;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer' | 'DPoP';
  readonly expires_in: number;
  readonly scope?: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  /** RFC 8693 §2.2.1: the type of the token a token exchange issued. */
  readonly issued_token_type?: string;
}

export interface Grant {
  readonly grantType: string;
  handle(request: TokenRequest): Promise<TokenResponse>;
}
