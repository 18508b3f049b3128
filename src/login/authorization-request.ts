/**
 * The rules of the authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1,
 * RFC 7636, RFC 9700), without Koa. The order matters:
 *  1. client_id and redirect_uri are checked first. While either is unknown, every error is an
 *     error *page* (`AuthorizationError.redirect` undefined): redirecting to an unvalidated URI
 *     would make Inkan an open redirector.
 *  2. Everything else is an error *sent to* the validated redirect_uri, with `state` and `iss`.
 * Every parameter appears at most once; empty values count as absent.
 */
import type { PendingAuthorization } from '../storage/authorizations.js';
import type { ClientRecord, ClientStore } from '../storage/clients.js';
import { OAuthError } from '../oauth/errors.js';
import { matchRedirectUri } from '../oauth/redirect-uri.js';
import { acceptCodeChallenge } from '../oauth/pkce.js';
import { parseScope } from '../oauth/scopes.js';
import { parseAcrValues } from '../oauth/authentication-context.js';
import { parseUiLocales } from '../i18n/locales.js';

export const PARAMETER_MAX_LENGTH = 2048;
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

export class AuthorizationError extends Error {
  override readonly name = 'AuthorizationError';
  constructor(
    readonly error: OAuthError,
    /** Where to send the error; undefined: show an error page instead. */
    readonly redirect?: { readonly redirectUri: string; readonly state: string | null },
  ) {
    super(error.message);
  }
}

export interface ValidatedAuthorization {
  readonly client: ClientRecord;
  readonly request: PendingAuthorization;
}

/** Query or form parameters as pairs, so that repeats can be seen. */
export type RawParameters = Iterable<readonly [string, string]>;

function single(raw: RawParameters): { params: Map<string, string>; repeated: Set<string> } {
  const params = new Map<string, string>();
  const repeated = new Set<string>();
  for (const [name, value] of raw) {
    if (value === '') continue;
    if (params.has(name)) repeated.add(name);
    params.set(name, value);
  }
  return { params, repeated };
}

export async function validateAuthorizationRequest(raw: RawParameters, clients: Pick<ClientStore, 'find'>): Promise<ValidatedAuthorization> {
  const { params, repeated } = single(raw);
  const page = (description: string) => new AuthorizationError(new OAuthError('invalid_request', description));

  for (const name of ['client_id', 'redirect_uri']) if (repeated.has(name)) throw page(`the parameter ${name} is repeated`);
  const clientId = params.get('client_id');
  if (clientId === undefined) throw page('client_id is missing');
  const client = clientId.length <= PARAMETER_MAX_LENGTH ? await clients.find(clientId) : undefined;
  if (client === undefined) throw page('the client_id is not registered with this server');
  const redirectUri = params.get('redirect_uri');
  if (redirectUri === undefined) throw page('redirect_uri is missing');
  if (!matchRedirectUri(redirectUri, client.redirectUris)) throw page('the redirect_uri is not registered for this client');

  const state = repeated.has('state') ? null : (params.get('state') ?? null);
  const redirect = { redirectUri, state };
  const fail = (code: OAuthError['code'], description: string) => new AuthorizationError(new OAuthError(code, description), redirect);

  if (repeated.size > 0) throw fail('invalid_request', `the parameter ${[...repeated][0]} is repeated`);
  for (const [name, value] of params) {
    if (value.length > PARAMETER_MAX_LENGTH) throw fail('invalid_request', `the parameter ${name} is too long`);
  }
  if (params.has('request')) throw fail('request_not_supported', 'request objects are not supported');
  if (params.has('request_uri')) throw fail('request_uri_not_supported', 'request_uri is not supported');

  const responseType = params.get('response_type');
  if (responseType === undefined) throw fail('invalid_request', 'response_type is missing');
  if (responseType !== 'code') throw fail('unsupported_response_type', 'only response_type=code is supported');
  const responseMode = params.get('response_mode');
  if (responseMode !== undefined && responseMode !== 'query') throw fail('invalid_request', 'only response_mode=query is supported');
  if (!client.grantTypes.includes('authorization_code')) {
    throw fail('unauthorized_client', 'the client is not registered for the authorization_code grant');
  }

  const rawScope = params.get('scope');
  if (rawScope === undefined) throw fail('invalid_scope', 'scope is missing');
  let scopes: string[];
  try {
    scopes = parseScope(rawScope);
  } catch (error) {
    throw new AuthorizationError(error as OAuthError, redirect);
  }
  const refused = scopes.filter((scope) => !client.scopes.includes(scope));
  if (refused.length > 0) throw fail('invalid_scope', `the client may not request the scope ${refused.map((s) => JSON.stringify(s)).join(', ')}`);

  let codeChallenge: string | null;
  try {
    codeChallenge = acceptCodeChallenge(params.get('code_challenge'), params.get('code_challenge_method'), client.authMethod === 'none' || client.allowNoPkce !== true);
  } catch (error) {
    throw new AuthorizationError(error as OAuthError, redirect);
  }
  // RFC 9700 §2.1.1: without PKCE, an OpenID request's nonce is what binds the code to this browser.
  if (codeChallenge === null && scopes.includes('openid') && !params.has('nonce')) {
    throw fail('invalid_request', 'nonce is required for an openid request without PKCE');
  }

  const prompt = (params.get('prompt') ?? '').split(' ').filter((value) => value !== '');
  for (const value of prompt) if (!PROMPTS.has(value)) throw fail('invalid_request', `prompt=${value} is not supported`);
  if (prompt.includes('none') && prompt.length > 1) throw fail('invalid_request', 'prompt=none cannot be combined with other values');

  const rawMaxAge = params.get('max_age');
  let maxAgeSeconds: number | null = null;
  if (rawMaxAge !== undefined) {
    if (!/^[0-9]{1,10}$/.test(rawMaxAge)) throw fail('invalid_request', 'max_age must be a non-negative integer of seconds');
    maxAgeSeconds = Number(rawMaxAge);
  }

  return {
    client,
    request: {
      clientId: client.clientId,
      redirectUri,
      scopes,
      state,
      nonce: params.get('nonce') ?? null,
      codeChallenge,
      prompt,
      maxAgeSeconds,
      loginHint: params.get('login_hint') ?? null,
      // OIDC Core §3.1.2.1: voluntary, in order of preference; values Inkan does not know are ignored.
      acrValues: parseAcrValues(params.get('acr_values')),
      // OIDC Core §3.1.2.1: the languages of the pages, in order of preference; kept with the request
      // so the sign-in, code and consent pages all speak the first one Inkan has (i18n/locales.ts).
      uiLocales: parseUiLocales(params.get('ui_locales')),
    },
  };
}
