/**
 * Migration 0014_pkce_opt_out on a database that already holds clients: PKCE becomes
 * the rule for new clients, but the confidential clients registered before it keep their
 * PKCE-less code flow (`allow_no_pkce`), since none can be re-registered in place; public clients
 * never had it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/knex/connection.js';
import { knexClientStore } from '../../src/storage/knex/client-store.js';

it('gives the confidential clients registered before it the PKCE opt-out, and no public client', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-migration-'));
  const db = openDatabase({ engine: 'sqlite', filename: path.join(dir, 'inkan.sqlite') });
  try {
    // Every migration before 0014_pkce_opt_out.
    for (;;) {
      const [, pending] = (await db.migrate.list()) as [unknown, { name: string }[]];
      if (pending[0]?.name === '0014_pkce_opt_out') break;
      await db.migrate.up();
    }
    const row = (clientId: string, authMethod: string) => ({
      client_id: clientId, name: clientId, secret_hash: null, auth_method: authMethod, grant_types: '["authorization_code"]',
      redirect_uris: '["https://app.example.com/cb"]', post_logout_redirect_uris: '[]', scopes: '["openid"]', resources: '[]',
      alg: 'RS256', jwks: null, created_at: 1_700_000_000, skip_consent: false, jwks_uri: null, require_dpop: false, require_dpop_nonce: false,
    });
    await db('clients').insert([row('web', 'client_secret_basic'), row('spa', 'none')]);
    await db.migrate.latest();
    const clients = knexClientStore(db, { publish: async () => {} });
    expect((await clients.find('web'))?.allowNoPkce).toBe(true);
    expect((await clients.find('spa'))?.allowNoPkce).toBe(false);
  } finally {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
