/**
 * Asymmetric clients and sender-constrained tokens. Runs unchanged on SQLite and
 * PostgreSQL.
 *
 * - `clients.jwks_uri`: a private_key_jwt client may register where its JWK Set lives instead of
 *   the set itself (`clients create --jwks-uri`); Inkan fetches and caches it.
 * - `clients.require_dpop` / `clients.require_dpop_nonce`: the client must send a DPoP proof with
 *   every token request (RFC 9449 §5.2 `dpop_bound_access_tokens`), and that proof must carry a
 *   server-issued nonce (§8).
 * - `refresh_families.dpop_jkt`: the refresh tokens of a public client that used DPoP are bound to
 *   the thumbprint of its proof key (§5); NULL for unbound families.
 * - `used_jtis`: single use of client assertion `jti`s (RFC 7523 §3 item 7) and DPoP proof `jti`s
 *   (RFC 9449 §11.1) across every instance sharing the database. `key` is SHA-256 of a namespaced
 *   value (so an attacker-chosen jti has a fixed size); rows go once `expires_at` passed, when the
 *   assertion or proof would be refused for its age anyway (housekeeping purges them).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.string('jwks_uri', 2048).nullable();
    t.boolean('require_dpop').notNullable().defaultTo(false);
    t.boolean('require_dpop_nonce').notNullable().defaultTo(false);
  });
  await knex.schema.alterTable('refresh_families', (t) => {
    t.string('dpop_jkt', 64).nullable();
  });
  await knex.schema.createTable('used_jtis', (t) => {
    t.string('key', 64).primary();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('used_jtis');
  await knex.schema.alterTable('refresh_families', (t) => {
    t.dropColumn('dpop_jkt');
  });
  await knex.schema.alterTable('clients', (t) => {
    t.dropColumn('require_dpop_nonce');
    t.dropColumn('require_dpop');
    t.dropColumn('jwks_uri');
  });
}
