/**
 * People and the authorization-code flow: users, login sessions, remembered consents, pending
 * authorization requests (interactions), authorization codes, revoked access-token ids and the
 * login throttle. Like 0001 it runs unchanged on SQLite and PostgreSQL: times are int8 Unix
 * seconds, lists are JSON text, and every bearer secret is stored as its SHA-256 (hex).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // First-party clients may skip the consent page.
  await knex.schema.alterTable('clients', (t) => {
    t.boolean('skip_consent').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('users', (t) => {
    t.string('id', 64).primary();
    t.string('email', 320).notNullable();
    // The lower-cased email: uniqueness and lookups are case-insensitive on both engines.
    t.string('email_normalized', 320).notNullable().unique();
    t.string('name', 200).nullable();
    t.text('password_hash').notNullable();
    t.bigInteger('disabled_at').nullable();
    t.bigInteger('created_at').notNullable();
  });

  await knex.schema.createTable('sessions', (t) => {
    t.string('id', 64).primary();
    t.string('secret_hash', 64).notNullable().unique();
    t.string('user_id', 64).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.bigInteger('auth_time').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('ended_at').nullable();
    t.index(['user_id']);
  });

  await knex.schema.createTable('consents', (t) => {
    t.string('user_id', 64).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('client_id', 64).notNullable().references('client_id').inTable('clients').onDelete('CASCADE');
    t.text('scopes').notNullable();
    t.bigInteger('granted_at').notNullable();
    t.primary(['user_id', 'client_id']);
  });

  // A pending authorization request, kept server-side so that no hidden form field is trusted.
  await knex.schema.createTable('authorization_requests', (t) => {
    t.string('id', 64).primary();
    // SHA-256 of the browser-binding cookie and of the current CSRF token.
    t.string('browser_hash', 64).notNullable();
    t.string('csrf_hash', 64).nullable();
    t.text('request').notNullable();
    t.string('user_id', 64).nullable();
    t.string('session_id', 64).nullable();
    t.bigInteger('auth_time').nullable();
    t.boolean('consented').notNullable().defaultTo(false);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at']);
  });

  await knex.schema.createTable('authorization_codes', (t) => {
    t.string('code_hash', 64).primary();
    t.string('client_id', 64).notNullable();
    t.string('user_id', 64).notNullable();
    t.string('session_id', 64).notNullable();
    t.text('redirect_uri').notNullable();
    t.text('scopes').notNullable();
    t.text('nonce').nullable();
    t.string('code_challenge', 128).nullable();
    t.bigInteger('auth_time').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('consumed_at').nullable();
    // JSON [{jti, exp}] of the access tokens issued for this code, revoked if the code is replayed.
    t.text('issued_access_tokens').notNullable().defaultTo('[]');
    t.index(['expires_at']);
  });

  await knex.schema.createTable('revoked_access_tokens', (t) => {
    t.string('jti', 64).primary();
    // The token's own expiry: after it the row can be purged.
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('revoked_at').notNullable();
    t.index(['expires_at']);
  });

  await knex.schema.createTable('login_throttle', (t) => {
    // 'account:<normalized email>' or 'address:<client IP>'.
    t.string('key', 400).primary();
    t.integer('failures').notNullable();
    t.bigInteger('last_failure_at').notNullable();
    t.bigInteger('blocked_until').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('login_throttle');
  await knex.schema.dropTable('revoked_access_tokens');
  await knex.schema.dropTable('authorization_codes');
  await knex.schema.dropTable('authorization_requests');
  await knex.schema.dropTable('consents');
  await knex.schema.dropTable('sessions');
  await knex.schema.dropTable('users');
  await knex.schema.alterTable('clients', (t) => {
    t.dropColumn('skip_consent');
  });
}
