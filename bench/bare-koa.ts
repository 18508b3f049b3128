/**
 * The framework ceiling for `npm run bench`: bare Koa answering a constant, for GET and for a
 * token-shaped POST (the body is read, nothing else is done).
 *
 *   node dist/bench/bare-koa.js <port>   → prints "ready"
 */
import Koa from 'koa';

const port = Number(process.argv[2] ?? 3200);
const body = JSON.stringify({ access_token: 'x'.repeat(600), token_type: 'Bearer', expires_in: 900 });
const app = new Koa();
app.use(async (ctx) => {
  if (ctx.method === 'POST') {
    for await (const chunk of ctx.req) void chunk;
  }
  ctx.type = 'application/json';
  ctx.body = body;
});
app.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
