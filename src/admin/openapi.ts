/**
 * The admin API's OpenAPI 3.1 document, written by hand (the API is small, and a hand-written
 * document says exactly what the operations in admin/operations.ts accept and answer). Served at
 * /admin/v1/openapi.json when ADMIN_API=on; the server URL is the issuer.
 */
import { SIGNING_ALGS } from '../storage/keys.js';
import { SUPPORTED_GRANT_TYPES } from '../clients/registry.js';

export const ADMIN_PREFIX = '/admin/v1';
export const ADMIN_SCOPE = 'admin';

/** The signing algs (storage/keys.ts), so the document never lags behind what Inkan signs with. */
const SIGNING_ALG_VALUES = [...SIGNING_ALGS];
const error = { $ref: '#/components/schemas/Error' };
const json = (schema: unknown) => ({ 'application/json': { schema } });
const errors = (...statuses: readonly number[]) =>
  Object.fromEntries(
    [401, 403, ...statuses].map((status) => [
      String(status),
      {
        description:
          {
            400: 'invalid_request: the body or a field is wrong',
            401: 'invalid_token: no token, or not a valid Inkan access token (RFC 6750)',
            403: 'insufficient_scope: the token lacks the admin scope or is not a client-credentials token',
            404: 'not_found',
            409: 'conflict (keys: the next key has not been published long enough yet; Retry-After says when it will have been)',
            415: 'invalid_request: the body must be application/json',
          }[status] ?? '',
        content: json(error),
      },
    ]),
  );
const body = (schema: unknown) => ({ required: true, content: json(schema) });

export function adminOpenApiDocument(issuer: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Inkan admin API',
      version: '1',
      description:
        'What the Inkan CLI does, over HTTP: clients, users, signing keys, revocations. Off unless ADMIN_API=on. ' +
        `Every operation needs an Inkan access token from the client_credentials grant carrying the scope "${ADMIN_SCOPE}". ` +
        'Errors are JSON {"error", "error_description"}.',
    },
    servers: [{ url: `${issuer}${ADMIN_PREFIX}` }],
    security: [{ bearer: [ADMIN_SCOPE] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (RFC 9068), client_credentials grant, scope admin' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'error_description'],
          properties: {
            error: { type: 'string' },
            error_description: { type: 'string' },
            retry_after: { type: 'integer', description: 'seconds until the same request can succeed (also the Retry-After header)' },
          },
        },
        ActiveKeys: {
          type: 'object',
          required: ['active'],
          properties: {
            active: { type: 'array', items: { type: 'object', properties: { kid: { type: 'string' }, alg: { type: 'string' } } } },
            warning: { type: 'string', description: 'only with unpublished: the keys that sign without ever having been published' },
          },
        },
        Activation: {
          type: 'object',
          additionalProperties: false,
          properties: {
            unpublished: {
              type: 'boolean',
              description:
                'true: a freshly minted, never-published key signs at once instead of the published next key ' +
                '(verifiers with a cached JWKS miss its kid until they refetch)',
            },
          },
        },
        Client: {
          type: 'object',
          properties: {
            client_id: { type: 'string' },
            name: { type: 'string' },
            auth_method: { type: 'string' },
            grant_types: { type: 'array', items: { type: 'string' } },
            redirect_uris: { type: 'array', items: { type: 'string' } },
            post_logout_redirect_uris: { type: 'array', items: { type: 'string' } },
            scope: { type: 'string' },
            resources: { type: 'array', items: { type: 'string' } },
            alg: { type: 'string', enum: SIGNING_ALG_VALUES },
            skip_consent: { type: 'boolean' },
            jwks_uri: { type: 'string', format: 'uri' },
            require_dpop: { type: 'boolean' },
            require_dpop_nonce: { type: 'boolean' },
            allow_no_pkce: { type: 'boolean' },
            backchannel_logout_uri: { type: 'string', format: 'uri', description: 'present only when registered' },
            backchannel_logout_session_required: { type: 'boolean' },
            created_at: { type: 'string', format: 'date-time' },
          },
        },
        NewClient: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            grant_types: { type: 'array', items: { type: 'string', enum: [...SUPPORTED_GRANT_TYPES] } },
            redirect_uris: {
              type: 'array',
              items: { type: 'string', format: 'uri' },
              description:
                'https, http on a loopback host (127.0.0.1, [::1], localhost), or a private-use scheme with a dot (com.example.app:/cb, RFC 8252 §7.1); no userinfo, no fragment',
            },
            post_logout_redirect_uris: { type: 'array', items: { type: 'string', format: 'uri' }, description: 'the same rules as redirect_uris' },
            scope: { type: 'string', description: 'every scope the client may ask for, space-separated' },
            resources: { type: 'array', items: { type: 'string', format: 'uri' } },
            auth_method: { type: 'string', enum: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] },
            jwks: { type: 'object', description: 'a JWK Set of public keys (private_key_jwt)' },
            jwks_uri: { type: 'string', format: 'uri' },
            alg: { type: 'string', enum: SIGNING_ALG_VALUES },
            skip_consent: { type: 'boolean' },
            require_dpop: { type: 'boolean' },
            require_dpop_nonce: { type: 'boolean' },
            allow_no_pkce: {
              type: 'boolean',
              description: 'a legacy confidential client whose authorization requests may come without PKCE (then with a nonce for openid); refused for auth_method none',
            },
            backchannel_logout_uri: {
              type: 'string',
              format: 'uri',
              maxLength: 2048,
              description:
                'OpenID Connect Back-Channel Logout 1.0: where Inkan POSTs a logout_token when a session that signed in to this client ends; ' +
                'https, or http on a loopback host; no userinfo, no fragment',
            },
            backchannel_logout_session_required: {
              type: 'boolean',
              description: 'the client needs sid in its logout tokens (Inkan always sends it); only with backchannel_logout_uri',
            },
          },
        },
        CreatedClient: {
          type: 'object',
          required: ['client_id'],
          properties: { client_id: { type: 'string' }, client_secret: { type: 'string', description: 'secret methods only; shown once' } },
        },
        Key: {
          type: 'object',
          properties: {
            kid: { type: 'string' },
            alg: { type: 'string', enum: SIGNING_ALG_VALUES },
            status: { type: 'string', enum: ['next', 'active', 'retiring', 'revoked'] },
            created_at: { type: ['string', 'null'], format: 'date-time' },
            activated_at: { type: ['string', 'null'], format: 'date-time' },
            retired_at: { type: ['string', 'null'], format: 'date-time' },
            remove_after: { type: ['string', 'null'], format: 'date-time' },
            revoked_at: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        Email: { type: 'object', required: ['email'], additionalProperties: false, properties: { email: { type: 'string' } } },
      },
    },
    paths: {
      '/clients': {
        get: {
          operationId: 'listClients',
          summary: 'Every client (like `clients list`)',
          responses: { 200: { description: 'the clients', content: json({ type: 'array', items: { $ref: '#/components/schemas/Client' } }) }, ...errors() },
        },
        post: {
          operationId: 'createClient',
          summary: 'Registers a client (like `clients create`)',
          requestBody: body({ $ref: '#/components/schemas/NewClient' }),
          responses: { 201: { description: 'registered', content: json({ $ref: '#/components/schemas/CreatedClient' }) }, ...errors(400, 415) },
        },
      },
      '/clients/{client_id}': {
        delete: {
          operationId: 'deleteClient',
          summary: 'Deletes a client, ends its refresh families and revokes its access tokens (like `clients delete`)',
          parameters: [{ name: 'client_id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'deleted', content: json({ type: 'object', properties: { deleted: { type: 'string' } } }) }, ...errors(404) },
        },
      },
      '/users': {
        post: {
          operationId: 'createUser',
          summary: 'Creates a user (like `users create`)',
          requestBody: body({
            type: 'object',
            required: ['email', 'password'],
            additionalProperties: false,
            properties: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string', minLength: 8, writeOnly: true } },
          }),
          responses: {
            201: { description: 'created; id is the sub of the user\'s tokens', content: json({ type: 'object', properties: { id: { type: 'string' }, email: { type: 'string' } } }) },
            ...errors(400, 409, 415),
          },
        },
      },
      '/users/disable': {
        post: {
          operationId: 'disableUser',
          summary: 'Disables a user and revokes all of their sessions and tokens (like `users disable`)',
          requestBody: body({ $ref: '#/components/schemas/Email' }),
          responses: { 200: { description: 'disabled', content: json({ type: 'object', properties: { disabled: { type: 'string' } } }) }, ...errors(400, 404, 415) },
        },
      },
      '/users/enable': {
        post: {
          operationId: 'enableUser',
          summary: 'Re-enables a disabled user, who may sign in again (like `users enable`); nothing the disabling ended comes back',
          requestBody: body({ $ref: '#/components/schemas/Email' }),
          responses: { 200: { description: 'enabled', content: json({ type: 'object', properties: { enabled: { type: 'string' } } }) }, ...errors(400, 404, 415) },
        },
      },
      '/users/mfa/reset': {
        post: {
          operationId: 'resetMfa',
          summary:
            'Removes every second factor of a user (authenticator apps, recovery codes, passkeys) and ends all of their sessions and tokens ' +
            '(like `users mfa reset`)',
          requestBody: body({ $ref: '#/components/schemas/Email' }),
          responses: { 200: { description: 'reset', content: json({ type: 'object', properties: { reset: { type: 'string' } } }) }, ...errors(400, 404, 415) },
        },
      },
      '/keys': {
        get: {
          operationId: 'listKeys',
          summary: 'Every signing key (like `keys list`)',
          responses: { 200: { description: 'the keys', content: json({ type: 'array', items: { $ref: '#/components/schemas/Key' } }) }, ...errors() },
        },
      },
      '/keys/rotate': {
        post: {
          operationId: 'rotateKeys',
          summary:
            'Makes the next key active, for one alg or every alg (like `keys rotate`); 409 with Retry-After while it has not been published ' +
            'for JWKS_MAX_AGE + 3 s (the CLI waits instead), unless unpublished is true',
          requestBody: {
            required: false,
            content: json({
              type: 'object',
              additionalProperties: false,
              properties: { alg: { type: 'string', enum: SIGNING_ALG_VALUES }, unpublished: { $ref: '#/components/schemas/Activation/properties/unpublished' } },
            }),
          },
          responses: { 200: { description: 'the keys now active', content: json({ $ref: '#/components/schemas/ActiveKeys' }) }, ...errors(400, 409, 415) },
        },
      },
      '/keys/{kid}/revoke': {
        post: {
          operationId: 'revokeKey',
          summary:
            'Emergency: the key leaves the JWKS at once and signs nothing more (like `keys revoke`). Revoking the active key makes the next ' +
            'key active in its place: 409 with Retry-After while it has not been published long enough, unless unpublished is true',
          parameters: [{ name: 'kid', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: false, content: json({ $ref: '#/components/schemas/Activation' }) },
          responses: {
            200: {
              description: 'revoked; with unpublished, the key now active in its place and a warning',
              content: json({
                type: 'object',
                required: ['revoked'],
                properties: {
                  revoked: { type: 'string' },
                  active: { $ref: '#/components/schemas/ActiveKeys/properties/active' },
                  warning: { type: 'string' },
                },
              }),
            },
            ...errors(400, 404, 409, 415),
          },
        },
      },
      '/keys/import': {
        post: {
          operationId: 'importKey',
          summary: 'Adds an operator\'s private key as the next key of its alg (like `keys import`)',
          requestBody: body({
            type: 'object',
            required: ['key'],
            additionalProperties: false,
            properties: { key: { description: 'PEM text (PKCS#8, PKCS#1 or SEC 1), or a private JWK: RSA ≥ 2048 bits (RS256), Ed25519 (EdDSA) or EC P-256 (ES256)', oneOf: [{ type: 'string' }, { type: 'object' }], writeOnly: true } },
          }),
          responses: {
            201: {
              description: 'imported',
              content: json({ type: 'object', properties: { imported: { type: 'object', properties: { kid: { type: 'string' }, alg: { type: 'string' }, status: { type: 'string' } } } } }),
            },
            ...errors(400, 409, 415),
          },
        },
      },
      '/tokens/revoke': {
        post: {
          operationId: 'revokeTokens',
          summary: 'Logs a user out everywhere (like `tokens revoke --email`)',
          requestBody: body({ $ref: '#/components/schemas/Email' }),
          responses: {
            200: { description: 'how many sessions and refresh families ended', content: json({ type: 'object', properties: { revoked: { type: 'integer' } } }) },
            ...errors(400, 404, 415),
          },
        },
      },
      '/openapi.json': {
        get: { operationId: 'openApi', summary: 'This document (no token needed)', security: [], responses: { 200: { description: 'OpenAPI 3.1' } } },
      },
    },
  };
}
