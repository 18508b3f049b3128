/** GET /healthz (the process answers) and GET /readyz (the database answers and every alg has an active key). */
import type { Router } from '@koa/router';
import type { Keyring } from '../../keys/keyring.js';
import { SIGNING_ALGS } from '../../storage/keys.js';
import type { Stores } from '../../storage/stores.js';

export interface Readiness {
  /** False once shutdown has begun, so load balancers stop sending traffic first. */
  accepting: boolean;
}

export function mountHealth(router: Router, deps: { stores: Stores; keyring: Keyring; readiness: Readiness }): void {
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const problems: string[] = [];
    if (!deps.readiness.accepting) problems.push('shutting down');
    try {
      await deps.stores.ping();
    } catch {
      problems.push('database unreachable');
    }
    for (const alg of SIGNING_ALGS) if (!deps.keyring.hasActiveKey(alg)) problems.push(`no active ${alg} key`);
    ctx.status = problems.length === 0 ? 200 : 503;
    ctx.body = problems.length === 0 ? { status: 'ready' } : { status: 'not ready', problems };
  });
}
