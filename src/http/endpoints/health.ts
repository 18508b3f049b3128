/**
 * GET /healthz (the process answers) and GET /readyz (the server accepts requests, the database
 * answers and every alg has an active key, and in a cluster every worker is ready). The server
 * (server.ts) owns the readiness it reads.
 */
import type { Keyring } from '../../keys/keyring.js';
import { SIGNING_ALGS } from '../../storage/keys.js';
import type { Stores } from '../../storage/stores.js';
import type { KoaHandler } from '../route.js';

/** What /readyz reports of the server's own state; server.ts creates it and turns it false. */
export interface Readiness {
  /** False once shutdown has begun, so load balancers stop sending traffic first. */
  readonly accepting: boolean;
  /**
   * In a worker of a cluster (WORKERS > 1): what keeps the machine's other workers from serving
   * ("1 of 2 workers ready"), or undefined when they all are. /readyz speaks for the machine,
   * whichever worker the load balancer's probe lands on.
   */
  readonly workers?: () => string | undefined;
}

export interface HealthEndpointDeps {
  readonly stores: Pick<Stores, 'ping'>;
  readonly keyring: Pick<Keyring, 'hasActiveKey'>;
  readonly readiness: Readiness;
}

export const liveEndpoint: KoaHandler = (ctx) => {
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { status: 'ok' };
};

export function readyEndpoint(deps: HealthEndpointDeps): KoaHandler {
  return async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const problems: string[] = [];
    if (!deps.readiness.accepting) problems.push('shutting down');
    const workers = deps.readiness.workers?.();
    if (workers !== undefined) problems.push(workers);
    try {
      await deps.stores.ping();
    } catch {
      problems.push('database unreachable');
    }
    for (const alg of SIGNING_ALGS) if (!deps.keyring.hasActiveKey(alg)) problems.push(`no active ${alg} key`);
    ctx.status = problems.length === 0 ? 200 : 503;
    ctx.body = problems.length === 0 ? { status: 'ready' } : { status: 'not ready', problems };
  };
}
