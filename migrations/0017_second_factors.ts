/**
 * Second factors and how a person authenticated. Runs unchanged on SQLite and PostgreSQL.
 *
 * - `sessions.auth_methods`: the RFC 8176 methods the session's sign-in used, space-separated
 *   (`pwd`, `pwd otp`, `hwk user`…; oauth/authentication-context.ts). Sessions from before this
 *   migration were password sign-ins, hence the default `pwd`.
 * - `authorization_codes` and `refresh_families` keep the `auth_methods` and the `acr` of the
 *   login they were issued for, so the code exchange and every refresh carry the same `amr`/`acr`
 *   as the ID token of that login (OIDC Core §12.2), even if the session later steps up.
 * - `authorization_requests.partial_user_id` / `partial_methods`: a first factor done in this
 *   request (a right password) waiting for the second (a TOTP or recovery code); no session exists
 *   until the second is verified.
 * - `totp_factors`: RFC 6238 authenticators. The secret is sealed with the key-encryption key
 *   (keys/encryption.ts; the factor id is the associated data); `last_used_step` is the last
 *   accepted time step, so a code is accepted once. `verified_at` null: enrolment not finished.
 * - `recovery_codes`: keyed SHA-256 of each code (high-entropy, generated), single-use.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.string('auth_methods', 100).notNullable().defaultTo('pwd');
  });
  await knex.schema.alterTable('authorization_codes', (t) => {
    t.string('auth_methods', 100).notNullable().defaultTo('pwd');
    t.string('acr', 100).nullable();
  });
  await knex.schema.alterTable('refresh_families', (t) => {
    t.string('auth_methods', 100).notNullable().defaultTo('pwd');
    t.string('acr', 100).nullable();
  });
  await knex.schema.alterTable('authorization_requests', (t) => {
    t.string('partial_user_id', 64).nullable();
    t.string('partial_methods', 100).nullable();
  });

  await knex.schema.createTable('totp_factors', (t) => {
    t.string('id', 64).primary();
    t.string('user_id', 64).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('sealed_secret').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('verified_at').nullable();
    t.bigInteger('last_used_step').nullable();
    t.index(['user_id']);
  });

  await knex.schema.createTable('recovery_codes', (t) => {
    t.string('code_hash', 64).primary();
    t.string('user_id', 64).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('used_at').nullable();
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('recovery_codes');
  await knex.schema.dropTable('totp_factors');
  await knex.schema.alterTable('authorization_requests', (t) => {
    t.dropColumn('partial_methods');
    t.dropColumn('partial_user_id');
  });
  await knex.schema.alterTable('refresh_families', (t) => {
    t.dropColumn('acr');
    t.dropColumn('auth_methods');
  });
  await knex.schema.alterTable('authorization_codes', (t) => {
    t.dropColumn('acr');
    t.dropColumn('auth_methods');
  });
  await knex.schema.alterTable('sessions', (t) => {
    t.dropColumn('auth_methods');
  });
}
