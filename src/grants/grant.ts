/**
 * The shape every grant has. The token endpoint owns the shared steps (parse, authenticate the
 * client, check that the client may use the grant) so that no grant can forget one; a grant only
 * turns an authenticated `TokenRequest` into a `TokenResponse`.
 */
import type { ClientRecord } from '../storage/clients.js';

export interface TokenRequest {
  readonly grantType: string;
  readonly client: ClientRecord;
  /** Single-valued form parameters (duplicates were already refused). */
  readonly params: ReadonlyMap<string, string>;
  /** `resource` may repeat (RFC 8707). */
  readonly resources: readonly string[];
  /** Where the request came from, for the audit trail (X-Request-Id, client address). */
  readonly requestId?: string;
  readonly clientAddress?: string;
  /** The verified DPoP proof's key (RFC 9449): tokens are bound to it (`cnf.jkt`, token_type DPoP). */
  readonly dpop?: { readonly jkt: string } | undefined;
}

/** An access token a grant issued: what metrics count and the audit trail records (never the token). */
export interface IssuedTokenFacts {
  readonly grantType: string;
  readonly client: ClientRecord;
  readonly sub: string;
  readonly jti: string;
  readonly requestId: string | undefined;
  readonly clientAddress: string | undefined;
}

/** Told of every access token issued; deps.ts wires it to the metrics and the audit log. */
export interface IssuanceObserver {
  tokenIssued(facts: IssuedTokenFacts): void;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer' | 'DPoP';
  readonly expires_in: number;
  readonly scope?: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
}

export interface Grant {
  readonly grantType: string;
  handle(request: TokenRequest): Promise<TokenResponse>;
}
