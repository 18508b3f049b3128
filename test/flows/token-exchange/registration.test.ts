/**
 * Registering a client for token exchange through the admin API (ADMIN_API=on): its OpenAPI
 * document lists the grant type, a confidential client created with it exchanges a person's token
 * at once, and a public client is refused (as `clients create` refuses it, exchange.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { clientToken } from '../../helpers/operations.js';
import { recordSecrets } from '../../helpers/secrets.js';
import { exchange, ORDERS, registerParties, relyingPartyClaims, signInPerson, subjectParams, TOKEN_EXCHANGE } from './support.js';

let server: TestServer;
let adminToken: string;

beforeAll(async () => {
  server = await startInkan({ env: { ADMIN_API: 'on' } });
  const admin = await registerClient(server, ['--name', 'ops-tooling', '--scope', 'admin']);
  adminToken = (await clientToken(server, admin, 'admin')).access_token;
});
afterAll(async () => {
  await server.stop();
});

async function createClient(json: Record<string, unknown>) {
  const response = await fetch(`${server.issuer}/admin/v1/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(json),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

describe('the admin API', () => {
  it('lists the grant type in the OpenAPI document of a new client', async () => {
    const document = (await (await fetch(`${server.issuer}/admin/v1/openapi.json`)).json()) as {
      components: { schemas: { NewClient: { properties: { grant_types: { items: { enum: string[] } } } } } };
    };
    expect(document.components.schemas.NewClient.properties.grant_types.items.enum).toContain(TOKEN_EXCHANGE);
  });

  it('registers a client for token exchange, which exchanges a person\'s token at once', async () => {
    const created = await createClient({ name: 'gateway-from-api', grant_types: [TOKEN_EXCHANGE], scope: 'orders:read', resources: [ORDERS] });
    expect(created.status).toBe(201);
    recordSecrets(created.body.client_secret);
    const gateway = created.body as unknown as RegisteredClient;
    const ada = await signInPerson(server, await registerParties(server));
    const answer = await exchange(server, gateway, subjectParams(ada.tokens.access_token, { resource: ORDERS }));
    expect(answer.status).toBe(200);
    expect((await relyingPartyClaims(server, answer.body.access_token as string, ORDERS)).act).toEqual({ sub: gateway.client_id });
  });

  it('refuses a public client for the grant', async () => {
    const refused = await createClient({ name: 'spa', auth_method: 'none', grant_types: [TOKEN_EXCHANGE] });
    expect(refused).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'a public client (auth method none) cannot use token exchange' } });
  });
});
