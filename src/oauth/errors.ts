/**
 * The one error type of the protocol layer. `description` is public (it becomes
 * `error_description`); `cause` is private and only ever logged. One middleware
 * (http/error-handler.ts) renders these; anything else becomes a bare 500.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_token_type'
  | 'access_denied'
  // RFC 8628 §3.5, the device's token request.
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'unsupported_response_type'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'temporarily_unavailable'
  | 'server_error';

const DEFAULT_STATUS: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  temporarily_unavailable: 503,
  server_error: 500,
};

export interface OAuthErrorOptions {
  readonly status?: number;
  /** Extra response headers, e.g. WWW-Authenticate or Allow. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    options: OAuthErrorOptions = {},
  ) {
    super(`${code}: ${description}`, { cause: options.cause });
    this.status = options.status ?? DEFAULT_STATUS[code] ?? 400;
    this.headers = options.headers ?? {};
  }

  /** The same error with `headers` added to its own (e.g. a challenge only the HTTP layer can choose). */
  withHeaders(headers: Readonly<Record<string, string>>): OAuthError {
    return new OAuthError(this.code, this.description, { status: this.status, headers: { ...this.headers, ...headers }, cause: this.cause });
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/**
 * RFC 6749 §5.2: a client that failed authentication gets 401 `invalid_client`. The
 * `WWW-Authenticate` challenge is the HTTP layer's to add (http/client-credentials.ts): only a
 * client that tried the Authorization header gets one.
 */
export function invalidClient(description: string, cause?: unknown): OAuthError {
  return new OAuthError('invalid_client', description, { cause });
}
