/**
 * What a client presented to authenticate: HTTP Basic (client_secret_basic, RFC 6749 §2.3.1, with
 * its form-urlencoding of id and secret), form fields (client_secret_post), or a bare client_id
 * (a public client), or a client assertion (private_key_jwt, RFC 7523 §2.2: `client_assertion_type`
 * and `client_assertion`, with an optional `client_id` that must match it). Authentication itself
 * is decided in oauth/client-authentication.ts.
 */
import { invalidClient } from '../oauth/errors.js';
import { oneMethodOnly, type PresentedCredentials } from '../oauth/client-authentication.js';
import { assertedClientId, CLIENT_ASSERTION_TYPE } from '../oauth/client-assertion.js';
import type { ParsedForm } from './form.js';

function formDecode(value: string): string {
  // Generated ids and secrets are base64url: nothing to decode, and no copy made of the secret.
  if (!value.includes('%') && !value.includes('+')) return value;
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function basicCredentials(header: string | undefined): PresentedCredentials | undefined {
  if (header === undefined || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
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

function assertionCredentials(form: ParsedForm): PresentedCredentials {
  const type = form.params.get('client_assertion_type');
  const assertion = form.params.get('client_assertion');
  if (type !== CLIENT_ASSERTION_TYPE) throw invalidClient(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
  if (assertion === undefined) throw invalidClient('client_assertion is required with client_assertion_type');
  return { method: 'private_key_jwt', clientId: assertedClientId(assertion), assertion };
}

/** `authorization` is the request's header. */
export function presentedCredentials(authorization: string | undefined, form: ParsedForm): PresentedCredentials | undefined {
  const basic = basicCredentials(authorization);
  const clientId = form.params.get('client_id');
  const secret = form.params.get('client_secret');
  const post: PresentedCredentials | undefined =
    clientId !== undefined && secret !== undefined ? { method: 'client_secret_post', clientId, secret } : undefined;
  const jwt = form.params.has('client_assertion_type') || form.params.has('client_assertion') ? assertionCredentials(form) : undefined;
  oneMethodOnly([basic, post, jwt].filter((method) => method !== undefined).length);
  if (jwt !== undefined) {
    if (clientId !== undefined && clientId !== jwt.clientId) throw invalidClient('client_id does not match the client assertion');
    return jwt;
  }
  if (basic !== undefined) {
    if (clientId !== undefined && clientId !== basic.clientId) throw invalidClient('client_id does not match the authenticated client');
    return basic;
  }
  if (post !== undefined) return post;
  if (secret !== undefined) throw invalidClient('client_secret without client_id');
  return clientId === undefined ? undefined : { method: 'none', clientId };
}
