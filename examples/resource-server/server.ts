/**
 * A small resource server protected by Inkan's verifier SDK (`@inkan/verifier`): tokens are
 * verified offline, and revocations reach it over Inkan's push feed within a second.
 *
 *   ISSUER=http://localhost:3000 AUDIENCE=https://api.example.com \
 *   CLIENT_ID=… CLIENT_SECRET=… npx tsx examples/resource-server/server.ts
 *
 * Without CLIENT_ID/CLIENT_SECRET it checks each token's status list instead of the feed.
 */
import http from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { createVerifier } from '@inkan/verifier';
import { verifierMiddleware, type VerifiedState } from '@inkan/verifier/koa';

const issuer = process.env.ISSUER ?? 'http://localhost:3000';
const audience = process.env.AUDIENCE ?? issuer;
const port = Number(process.env.PORT ?? 4000);

const verifier = createVerifier({
  issuer,
  audience,
  clientId: process.env.CLIENT_ID,
  clientSecret: process.env.CLIENT_SECRET,
  maxStalenessSeconds: 60,
});

const router = new Router<VerifiedState>();
router.get('/hello', verifierMiddleware(verifier), (ctx) => {
  ctx.body = { hello: ctx.state.accessToken.sub, scope: ctx.state.accessToken.scope ?? '' };
});
router.get('/admin', verifierMiddleware(verifier, { requiredScopes: ['admin'] }), (ctx) => {
  ctx.body = { admin: ctx.state.accessToken.sub };
});
router.get('/healthz', (ctx) => {
  ctx.body = verifier.stats();
});

const app = new Koa<VerifiedState>();
app.use(router.routes());
app.use(router.allowedMethods());

await verifier.ready().catch((error: unknown) => console.warn(`issuer not reachable yet: ${(error as Error).message}`));
const server = http.createServer(app.callback()).listen(port, () => console.log(`resource server on http://localhost:${port}`));

const stop = () => {
  server.close();
  void verifier.close();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
