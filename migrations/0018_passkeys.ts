/**
 * Passkeys (WebAuthn Level 3). Runs unchanged on SQLite and PostgreSQL.
 * `passkeys`: a person's registered credentials (public material only: id, COSE public key,
 * signature counter, transports, the BE/BS backup flags, the person's name for it).
 * `webauthn_challenges`: the challenge of each ceremony in progress, one per binding (a pending
 * sign-in or a login session), taken (deleted) when answered; housekeeping purges expired ones.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('passkeys', (t) => {
    // base64url of at most 1023 bytes (WebAuthn §4 "Credential ID").
    t.string('id', 1400).primary();
    t.string('user_id', 64).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('public_key').notNullable();
    t.bigInteger('counter').notNullable();
    // JSON array of transport hints.
    t.text('transports').notNullable();
    t.boolean('backup_eligible').notNullable();
    t.boolean('backed_up').notNullable();
    t.string('name', 100).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_used_at').nullable();
    t.index(['user_id']);
  });

  await knex.schema.createTable('webauthn_challenges', (t) => {
    t.string('binding', 200).primary();
    t.string('challenge', 200).notNullable();
    t.string('ceremony', 20).notNullable();
    t.string('user_id', 64).nullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webauthn_challenges');
  await knex.schema.dropTable('passkeys');
}
