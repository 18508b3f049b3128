/**
 * The Shared Signals transmitter (OpenID SSF 1.0). Runs unchanged on SQLite and PostgreSQL.
 *
 * `security_events`: an append-only log of what happened to people, written by the one
 * revocation path (revocation/revoker.ts) and the account operations through one required
 * dependency (revocation/security-events.ts). It says WHY something ended, which the revocation
 * records do not: a person logged out everywhere, disabled, re-enabled, given a new password.
 * Its monotonic `id` is what each stream's cursor points into.
 *
 * `ssf_streams`: one row per event stream (SSF §8.1.1), owned by the receiver's client. `cursor`
 * is the last `security_events.id` fanned out to the stream; `lease_owner`/`lease_until` let one
 * server process at a time push a stream; `push_failures`/`next_attempt_at` are its back-off.
 * `authorization_header` (RFC 8935 push, SSF §6.1.1) is sealed with the key-encryption key.
 *
 * `ssf_queue`: the SETs fanned out to a stream and not yet delivered (push: 202 received) or
 * acknowledged (poll, RFC 8936 `ack`), in `seq` order; the claims are kept, the signature is made
 * at each delivery with the then-active key.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('security_events', (t) => {
    t.increments('id').primary();
    t.string('type', 40).notNullable();
    t.string('user_id', 64).notNullable();
    t.string('session_id', 64).nullable();
    t.string('txn', 64).notNullable();
    t.string('initiating_entity', 16).notNullable();
    t.text('details').nullable();
    t.bigInteger('occurred_at').notNullable();
    t.index(['occurred_at']);
  });
  await knex.schema.createTable('ssf_streams', (t) => {
    t.string('id', 64).primary();
    t.string('client_id', 255).notNullable();
    t.string('delivery_method', 40).notNullable();
    t.text('endpoint_url').nullable();
    t.text('authorization_header').nullable();
    t.text('events_requested').notNullable();
    t.text('description').nullable();
    t.string('status', 16).notNullable();
    t.text('status_reason').nullable();
    t.bigInteger('cursor').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('last_verification_at').nullable();
    t.integer('push_failures').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable().defaultTo(0);
    t.string('lease_owner', 64).nullable();
    t.bigInteger('lease_until').notNullable().defaultTo(0);
    t.index(['client_id']);
  });
  await knex.schema.createTable('ssf_queue', (t) => {
    t.increments('seq').primary();
    t.string('stream_id', 64).notNullable();
    t.string('jti', 64).notNullable();
    t.text('claims').notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['stream_id', 'jti']);
    t.index(['stream_id', 'seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ssf_queue');
  await knex.schema.dropTable('ssf_streams');
  await knex.schema.dropTable('security_events');
}
