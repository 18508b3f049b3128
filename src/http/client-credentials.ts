/**
 * What a client presented to authenticate: HTTP Basic (client_secret_basic, RFC 6749 §2.3.1, with
 * its form-urlencoding of id and secret), form fields (client_secret_post), or a bare client_id
 * (a public client), or a client assertion (RFC 7523 §2.2: `client_assertion_type` and
 * `client_assertion`, with an optional `client_id`: a private_key_jwt client's must match the
 * assertion, a federated client's names it). Authentication itself is decided in
 * oauth/client-authentication.ts.
 *
 * The Authorization header is exactly one well-formed credential or a 401 `invalid_client`: one
 * header (node keeps only the first of repeated headers in `req.headers`, so `rawHeaders` is
 * counted), one `Basic` credential whose token68 is strict base64 with its padding (RFC 7617 §2;
 * `Buffer.from(…, 'base64')` would skip stray characters, so the syntax is checked first). Its
 * `WWW-Authenticate` challenge goes only to a client that tried that header, or sent no
 * credentials at all (RFC 6749 §5.2): a failed client_secret_post, private_key_jwt or public
 * client gets the JSON error alone, which clients such as openid-client then report as
 * `invalid_client` rather than as an authentication challenge.
 */
import type { IncomingMessage } from 'node:http';
import { invalidClient, OAuthError } from '../oauth/errors.js';
import { oneMethodOnly, type ClientAuthenticator, type PresentedCredentials } from '../oauth/client-authentication.js';
import { assertedClientId, CLIENT_ASSERTION_TYPE } from '../oauth/client-assertion.js';
import type { ClientRecord } from '../storage/clients.js';
import type { RequestOrigin } from '../audit/audit-log.js';
import type { ParsedForm } from './form.js';
import { annotateRequest } from '../tracing/spans.js';

const CHALLENGE: Readonly<Record<string, string>> = Object.freeze({ 'WWW-Authenticate': 'Basic realm="inkan", charset="UTF-8"' });
// "Basic" 1*SP token68, the token68 being base64 (RFC 4648 §4) in whole padded quanta.
const BASIC_CREDENTIALS = /^Basic +((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/i;
const AUTHORIZATION = 'authorization';

function formDecode(value: string): string {
  // Generated ids and secrets are base64url: nothing to decode, and no copy made of the secret.
  if (!value.includes('%') && !value.includes('+')) return value;
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** The request's one Authorization header (undefined without one); a repeated header is refused. */
function authorizationHeader(req: IncomingMessage): string | undefined {
  const value = req.headers.authorization;
  if (value === undefined) return undefined;
  const raw = req.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === AUTHORIZATION.length && name.toLowerCase() === AUTHORIZATION && (seen += 1) > 1) {
      throw invalidClient('the request carries more than one Authorization header');
    }
  }
  return value;
}

function basicCredentials(header: string | undefined): PresentedCredentials | undefined {
  if (header === undefined) return undefined;
  const token = BASIC_CREDENTIALS.exec(header)?.[1];
  if (token === undefined || token === '') throw invalidClient('the Authorization header must be one Basic credential (RFC 7617)');
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw invalidClient('malformed Basic credentials');
  try {
    return {
      method: 'client_secret_basic',
      clientId: formDecode(decoded.slice(0, colon)),
      secret: formDecode(decoded.slice(colon + 1)),
    };
  } catch (error) {
    throw invalidClient('malformed Basic credentials', error);
  }
}

/** The client is the form's `client_id` when sent (a federated client must send it), else the assertion's `sub`. */
function assertionCredentials(form: ParsedForm): PresentedCredentials {
  const type = form.params.get('client_assertion_type');
  const assertion = form.params.get('client_assertion');
  if (type !== CLIENT_ASSERTION_TYPE) throw invalidClient(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
  if (assertion === undefined) throw invalidClient('client_assertion is required with client_assertion_type');
  const asserted = assertedClientId(assertion);
  return { method: 'private_key_jwt', clientId: form.params.get('client_id') ?? asserted, assertion, assertedClientId: asserted };
}

/**
 * Authenticates the client of a token, revocation or introspection request, adding the challenge
 * to a refusal as the header comment says; the client's id goes on the request's trace span.
 */
export async function authenticateClient(
  req: IncomingMessage,
  form: ParsedForm,
  authenticator: ClientAuthenticator,
  origin?: RequestOrigin,
): Promise<ClientRecord> {
  let nothingPresented = false;
  try {
    const presented = presentedCredentials(authorizationHeader(req), form);
    nothingPresented = presented === undefined;
    const client = await authenticator.authenticate(presented, origin);
    // Only an authenticated client's id: what a caller merely claims is not recorded.
    annotateRequest({ 'inkan.client_id': client.clientId });
    return client;
  } catch (error) {
    const challenged = req.headers.authorization !== undefined || nothingPresented;
    if (challenged && error instanceof OAuthError && error.status === 401) throw error.withHeaders(CHALLENGE);
    throw error;
  }
}

function presentedCredentials(authorization: string | undefined, form: ParsedForm): PresentedCredentials | undefined {
  const basic = basicCredentials(authorization);
  const clientId = form.params.get('client_id');
  const secret = form.params.get('client_secret');
  const post: PresentedCredentials | undefined =
    clientId !== undefined && secret !== undefined ? { method: 'client_secret_post', clientId, secret } : undefined;
  const jwt = form.params.has('client_assertion_type') || form.params.has('client_assertion') ? assertionCredentials(form) : undefined;
  oneMethodOnly([basic, post, jwt].filter((method) => method !== undefined).length);
  // Whether a client_id other than the assertion's own is allowed depends on the client (federated
  // or not): oauth/client-authentication.ts decides.
  if (jwt !== undefined) return jwt;
  if (basic !== undefined) {
    if (clientId !== undefined && clientId !== basic.clientId) throw invalidClient('client_id does not match the authenticated client');
    return basic;
  }
  if (post !== undefined) return post;
  if (secret !== undefined) throw invalidClient('client_secret without client_id');
  return clientId === undefined ? undefined : { method: 'none', clientId };
}
