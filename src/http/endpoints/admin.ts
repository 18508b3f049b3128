/**
 * The admin API under /admin/v1 (in the route table only when ADMIN_API=on): what the CLI does,
 * over HTTP, for operators' own tooling. The operations are admin/operations.ts (the same domain
 * calls as the CLI); the document is admin/openapi.ts.
 *
 * Access (RFC 6750, via http/bearer.ts): an Inkan access token with the issuer as audience, not
 * expired or revoked, carrying the scope `admin`, issued by the client_credentials grant (its `sub`
 * is its `client_id`: a person's token never administers, whatever its scope). No token: 401 with
 * a bare challenge; a bad one: 401 invalid_token; the wrong kind or scope: 403 insufficient_scope.
 * Bodies are JSON (415 otherwise, 64 KiB at most); answers and errors are JSON, never cached.
 */
import type { Context } from 'koa';
import type { Actor } from '../../audit/audit-log.js';
import {
  AdminError,
  createClientOperation,
  createUserOperation,
  deleteClientOperation,
  disableUserOperation,
  enableUserOperation,
  endSessionOperation,
  listSessionsOperation,
  listUsers,
  resetMfaOperation,
  importKeyOperation,
  listClients,
  listKeys,
  revokeKeyOperation,
  revokeTokensOperation,
  rotateKeysOperation,
  type AdminDeps,
  type AdminResult,
  type JsonBody,
} from '../../admin/operations.js';
import { ADMIN_SCOPE, adminOpenApiDocument } from '../../admin/openapi.js';
import type { IssuedAccessTokenVerifier } from '../../tokens/issued-access-token.js';
import { bearerError, bearerFromHeader, verifiedBearer } from '../bearer.js';
import { refuseBoundAsBearer } from '../dpop-resource.js';
import { jsonBody as readJsonBody } from '../json-body.js';
import type { KoaHandler, RouteParams } from '../route.js';

export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

export interface AdminEndpointDeps extends AdminDeps {
  readonly verifyAccessToken: IssuedAccessTokenVerifier;
  readonly issuer: string;
}

async function adminActor(ctx: Context, deps: AdminEndpointDeps): Promise<Actor> {
  const claims = await verifiedBearer(deps, bearerFromHeader(ctx), ADMIN_SCOPE);
  // RFC 9449 §7.2: a DPoP-bound token is worthless without its key, so never as a Bearer token.
  refuseBoundAsBearer(claims);
  if (claims.sub !== claims.client_id) {
    throw bearerError('insufficient_scope', 'the admin API needs a client_credentials access token', { scope: ADMIN_SCOPE });
  }
  return { type: 'admin-api', id: claims.client_id, requestId: ctx.state.requestId as string | undefined, address: ctx.ip };
}

/** The JSON object of the request body; an empty body is `{}` when `optional`. */
const jsonBody = (ctx: Context, optional = false): Promise<JsonBody> => readJsonBody(ctx, ADMIN_BODY_LIMIT_BYTES, optional);

function send(ctx: Context, result: AdminResult): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.status = result.status;
  ctx.body = result.body;
}

/** One handler per operation; the route table (routes.ts) gives each its path and method. */
export interface AdminEndpoints {
  readonly openApi: KoaHandler;
  readonly listClients: KoaHandler;
  readonly createClient: KoaHandler;
  readonly deleteClient: KoaHandler;
  readonly listUsers: KoaHandler;
  readonly createUser: KoaHandler;
  readonly listSessions: KoaHandler;
  readonly endSession: KoaHandler;
  readonly disableUser: KoaHandler;
  readonly enableUser: KoaHandler;
  readonly resetMfa: KoaHandler;
  readonly listKeys: KoaHandler;
  readonly rotateKeys: KoaHandler;
  readonly importKey: KoaHandler;
  readonly revokeKey: KoaHandler;
  readonly revokeTokens: KoaHandler;
}

export function adminEndpoints(deps: AdminEndpointDeps): AdminEndpoints {
  const document = JSON.stringify(adminOpenApiDocument(deps.issuer));
  /** Authenticates, runs the operation, and renders its refusals as JSON errors. */
  const handle =
    (operation: (ctx: Context, actor: Actor, params: RouteParams) => Promise<AdminResult>): KoaHandler =>
    async (ctx, params) => {
      const actor = await adminActor(ctx, deps);
      try {
        send(ctx, await operation(ctx, actor, params));
      } catch (error) {
        if (!(error instanceof AdminError)) throw error;
        const body = { error: error.code, error_description: error.description };
        if (error.retryAfterSeconds === undefined) return send(ctx, { status: error.status, body });
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        send(ctx, { status: error.status, body: { ...body, retry_after: error.retryAfterSeconds } });
      }
    };

  return {
    openApi: (ctx) => {
      ctx.set('Cache-Control', 'no-cache');
      ctx.type = 'application/json';
      ctx.body = document;
    },
    listClients: handle(() => listClients(deps)),
    createClient: handle(async (ctx, actor) => createClientOperation(deps, await jsonBody(ctx), actor)),
    deleteClient: handle((_ctx, actor, params) => deleteClientOperation(deps, params.clientId ?? '', actor)),
    listUsers: handle((ctx) => listUsers(deps, ctx.URL.searchParams.get('q') ?? undefined)),
    createUser: handle(async (ctx, actor) => createUserOperation(deps, await jsonBody(ctx), actor)),
    listSessions: handle((ctx) => listSessionsOperation(deps, ctx.URL.searchParams.get('email') ?? undefined)),
    endSession: handle(async (ctx, actor) => endSessionOperation(deps, await jsonBody(ctx), actor)),
    disableUser: handle(async (ctx, actor) => disableUserOperation(deps, await jsonBody(ctx), actor)),
    enableUser: handle(async (ctx, actor) => enableUserOperation(deps, await jsonBody(ctx), actor)),
    resetMfa: handle(async (ctx, actor) => resetMfaOperation(deps, await jsonBody(ctx), actor)),
    listKeys: handle(() => listKeys(deps)),
    rotateKeys: handle(async (ctx, actor) => rotateKeysOperation(deps, await jsonBody(ctx, true), actor)),
    importKey: handle(async (ctx, actor) => importKeyOperation(deps, await jsonBody(ctx), actor)),
    revokeKey: handle(async (ctx, actor, params) => revokeKeyOperation(deps, params.kid ?? '', await jsonBody(ctx, true), actor)),
    revokeTokens: handle(async (ctx, actor) => revokeTokensOperation(deps, await jsonBody(ctx), actor)),
  };
}
