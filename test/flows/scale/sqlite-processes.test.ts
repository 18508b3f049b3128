/**
 * The CLI and a running server on one SQLite file: a change the CLI commits reaches the server
 * through the change socket beside the file (src/storage/knex/socket-bus.ts) before the CLI has
 * exited, not at the server's next poll. The server's key and revocation polls are lengthened to a
 * minute here and the client cache is kept warm up to the CLI's exit, so only the socket can make
 * these changes visible in time. (How soon, measured: `npm run bench`, the cli_change scenario.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createVerifier, type VerifierError, type Verifier } from '@inkan/verifier';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { eventually } from '../../helpers/eventually.js';
import { postForm, refresh, registerApp, startFamily } from '../../helpers/refresh.js';

const NO_POLL = { keyPollIntervalMs: 60_000, revocationPollIntervalMs: 60_000 };

let server: TestServer;
let verifier: Verifier;

beforeAll(async () => {
  server = await startInkan({ core: NO_POLL });
  await eventually(() => server.deps.stores.changes.pushing, 5000);
  const subscriber = await registerClient(server, ['--name', 'resource-server', '--scope', 'revocations:read']);
  verifier = createVerifier({
    issuer: server.issuer,
    audience: server.issuer,
    clientId: subscriber.client_id,
    clientSecret: subscriber.client_secret!,
    logger: { warn: () => {} },
  });
  await verifier.ready();
});
afterAll(async () => {
  await verifier?.close();
  await server?.stop();
});

const clientCredentials = (client: RegisteredClient) => postForm(server, 'token_endpoint', { grant_type: 'client_credentials' }, client);
const rejection = (token: string) => verifier.verify(token).then(() => undefined, (error: unknown) => (error as VerifierError).code);

it('a `clients delete` stops the client at once: its next request after the CLI exits is invalid_client, and its tokens are revoked', async () => {
  const client = await registerClient(server, ['--name', 'doomed']);
  const issued = await clientCredentials(client);
  const token = issued.body.access_token as string;
  expect((await verifier.verify(token)).client_id).toBe(client.client_id);

  // Keep the server's client cache warm while the CLI runs: without the socket the cached entry
  // would authenticate the deleted client for up to a second after the CLI's exit.
  let running = true;
  const warm = (async () => {
    while (running) {
      await clientCredentials(client);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const deleted = await server.cli(['clients', 'delete', client.client_id]);
  running = false;
  await warm;
  expect(deleted.code, deleted.stderr).toBe(0);
  const after = await clientCredentials(client);
  expect({ status: after.status, error: after.body.error }).toEqual({ status: 401, error: 'invalid_client' });
  await eventually(async () => (await rejection(token)) === 'ERR_TOKEN_REVOKED', 5000);
});

it('a `tokens revoke --email` reaches a verifier subscribed to the server long before the server’s next poll', async () => {
  const app = await registerApp(server);
  const login = await startFamily(server, app);
  const refreshed = await refresh(server, app, login.refreshToken);
  const token = refreshed.body.access_token as string;
  expect((await verifier.verify(token)).sub).toBe(login.person.id);

  const revoked = await server.cli(['tokens', 'revoke', '--email', login.person.email]);
  expect(revoked.code, revoked.stderr).toBe(0);
  await eventually(async () => (await rejection(token)) === 'ERR_TOKEN_REVOKED', 5000);
  const again = await refresh(server, app, login.refreshToken);
  expect(again.body.error).toBe('invalid_grant');
});

it('a `keys revoke` by the CLI takes the key out of the server’s JWKS long before the server’s next key poll', async () => {
  const jwks = async () => ((await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
  const { keys } = await server.deps.stores.keys.snapshot();
  // The next key: revoking it waits for nothing (an active one waits for its successor's pre-publication).
  const kid = keys.find((key) => key.status === 'next' && key.alg === 'EdDSA')!.kid;
  expect(await jwks()).toContain(kid);
  const revoked = await server.cli(['keys', 'revoke', kid]);
  expect(revoked.code, revoked.stderr).toBe(0);
  await eventually(async () => !(await jwks()).includes(kid), 5000);
});
