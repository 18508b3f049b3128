/**
 * The device authorization grant (RFC 8628): `device_authorizations`, one row per request from
 * the device endpoint's answer until housekeeping removes it after it expired
 * (storage/device-authorizations.ts). Both codes only as hashes: `device_code_hash` SHA-256,
 * `user_code_hash` a keyed hash (unique: the verification page finds a request by it). The
 * person's decision (`status`, the approving login's columns) and the token request's use
 * (`consumed_at`, `grant_id`) are each written once by a conditional update. Runs unchanged on
 * SQLite and PostgreSQL.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('device_authorizations', (t) => {
    t.string('id', 64).primary();
    t.string('device_code_hash', 64).notNullable().unique();
    t.string('user_code_hash', 64).notNullable().unique();
    t.string('client_id', 255).notNullable();
    t.text('scopes').notNullable();
    t.text('resources').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.integer('interval_seconds').notNullable();
    t.bigInteger('last_polled_at').nullable();
    t.string('status', 16).notNullable();
    t.string('user_id', 64).nullable();
    t.string('session_id', 64).nullable();
    t.bigInteger('auth_time').nullable();
    t.string('auth_methods', 255).nullable();
    t.string('acr', 255).nullable();
    t.bigInteger('decided_at').nullable();
    t.bigInteger('consumed_at').nullable();
    t.string('grant_id', 64).nullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('device_authorizations');
}
