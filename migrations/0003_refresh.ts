/**
 * Refresh-token families and their tokens, and revocation records. Like 0001 it runs unchanged on
 * SQLite and PostgreSQL (int8 Unix seconds, JSON text). Users, sessions and clients are referenced
 * by id without foreign keys: a family outlives nothing it points at (logout, `users disable` and
 * `clients delete` end families explicitly, and the purge removes them), and revocation records
 * must survive the deletion of what they revoke.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per login that was granted offline_access: every refresh token descends from it.
  await knex.schema.createTable('refresh_families', (t) => {
    t.string('id', 64).primary();
    t.string('client_id', 64).notNullable();
    t.string('user_id', 64).notNullable();
    t.string('session_id', 64).notNullable();
    t.text('scopes').notNullable();
    t.bigInteger('auth_time').notNullable();
    t.bigInteger('created_at').notNullable();
    // Absolute expiry: created_at + REFRESH_TOKEN_TTL; no rotation extends it.
    t.bigInteger('expires_at').notNullable();
    // Written by every rotation: its conditional update also serialises rotations of one family.
    t.bigInteger('last_used_at').nullable();
    t.bigInteger('revoked_at').nullable();
    t.index(['session_id']);
    t.index(['user_id']);
    t.index(['client_id']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('refresh_tokens', (t) => {
    // SHA-256 (hex) of the opaque token: a database copy yields no usable token.
    t.string('token_hash', 64).primary();
    t.string('family_id', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    // Idle expiry (created_at + idle TTL), never later than the family's absolute expiry.
    t.bigInteger('expires_at').notNullable();
    // Set once, by the one conditional update that wins the rotation.
    t.bigInteger('consumed_at').nullable();
    t.string('successor_hash', 64).nullable();
    t.index(['family_id']);
    t.index(['expires_at']);
  });

  // Append-only; `id` is the revocation feed's event id.
  await knex.schema.createTable('revocations', (t) => {
    t.increments('id').primary();
    t.string('kind', 16).notNullable();
    // The jti, sub, sid or client_id the record is about.
    t.string('value', 255).notNullable();
    t.bigInteger('not_before').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('revocations');
  await knex.schema.dropTable('refresh_tokens');
  await knex.schema.dropTable('refresh_families');
}
