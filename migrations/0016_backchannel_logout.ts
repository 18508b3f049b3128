/**
 * OpenID Connect Back-Channel Logout 1.0. Runs unchanged on SQLite and PostgreSQL.
 * - `clients.backchannel_logout_uri` / `backchannel_logout_session_required` (§2.2): where the
 *   client receives logout tokens; null for a client that registered none.
 * - `session_clients`: which clients each login session signed in to (one row per session and
 *   client, written when a code is issued), so a logout reaches exactly those. The rows go with
 *   their session (the purge) or their client (`clients delete`), by cascade.
 * - `backchannel_logouts`: the durable delivery queue (the outbox). A row is one logout token owed
 *   to one client for one session; it is deleted once delivered or given up. `lease_token` and
 *   `lease_until` mark the process delivering it, so processes sharing the database never send a
 *   row at the same time; `next_attempt_at` carries the retry back-off.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.string('backchannel_logout_uri', 2048).nullable();
    t.boolean('backchannel_logout_session_required').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('session_clients', (t) => {
    t.string('session_id', 64).notNullable().references('id').inTable('sessions').onDelete('CASCADE');
    t.string('client_id', 64).notNullable().references('client_id').inTable('clients').onDelete('CASCADE');
    t.bigInteger('first_at').notNullable();
    t.primary(['session_id', 'client_id']);
  });

  await knex.schema.createTable('backchannel_logouts', (t) => {
    t.bigIncrements('id').primary();
    t.string('client_id', 64).notNullable().references('client_id').inTable('clients').onDelete('CASCADE');
    // No foreign key: a delivery may outlive its session's row (the purge keeps ended sessions a week).
    t.string('session_id', 64).notNullable();
    t.string('sub', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable();
    t.string('lease_token', 64).nullable();
    t.bigInteger('lease_until').nullable();
    t.string('last_error', 200).nullable();
    t.index(['next_attempt_at']);
    t.index(['client_id']);
    t.index(['lease_token']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('backchannel_logouts');
  await knex.schema.dropTable('session_clients');
  await knex.schema.alterTable('clients', (t) => {
    t.dropColumn('backchannel_logout_session_required');
    t.dropColumn('backchannel_logout_uri');
  });
}
