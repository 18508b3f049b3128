/**
 * Clients and signing keys. Runs unchanged on SQLite and PostgreSQL: times are int8 Unix seconds,
 * lists are JSON text, so neither engine's special types leak into the domain.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 64).primary();
    t.string('name', 200).notNullable();
    t.string('secret_hash', 64).nullable();
    t.string('auth_method', 32).notNullable();
    t.text('grant_types').notNullable();
    t.text('redirect_uris').notNullable();
    t.text('post_logout_redirect_uris').notNullable();
    t.text('scopes').notNullable();
    t.text('resources').notNullable();
    t.string('alg', 16).notNullable();
    t.text('jwks').nullable();
    t.bigInteger('created_at').notNullable();
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 64).primary();
    t.string('alg', 16).notNullable();
    t.string('status', 16).notNullable();
    t.text('public_jwk').notNullable();
    t.text('sealed_private_key').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('activated_at').nullable();
    t.bigInteger('retired_at').nullable();
    t.bigInteger('remove_after').nullable();
    t.bigInteger('revoked_at').nullable();
    t.index(['alg', 'status']);
  });

  // One row whose version moves with every key change: processes poll it (cheap) and reload the
  // keys only when it moved, and rotations compare-and-set on it so that two processes never
  // both rotate.
  await knex.schema.createTable('key_state', (t) => {
    t.integer('id').primary();
    t.bigInteger('version').notNullable();
  });
  await knex('key_state').insert({ id: 1, version: 0 });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('key_state');
  await knex.schema.dropTable('signing_keys');
  await knex.schema.dropTable('clients');
}
