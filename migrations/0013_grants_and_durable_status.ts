/**
 * Revocation scoped to exactly what ended, and a status-list index that survives restarts.
 * Runs unchanged on SQLite and PostgreSQL.
 *
 * - Grants. A person's access tokens carry the id of the grant they came from (`grant_id`: one
 *   authorization-code exchange and the refresh family it started, whose id is the grant's), and
 *   `grant` revocation records cover exactly those tokens. The session records scoped to one
 *   client (migration 0012) covered every later sign-in of that browser at that client too; the
 *   ones still alive become whole-session records (wider, never narrower: they expire within
 *   ACCESS_TOKEN_TTL of the upgrade) and `client_id` goes.
 * - `authorization_codes.grant_id` (was `refresh_family_id`): chosen and recorded in the update
 *   that consumes the code; a replay revokes that grant. The per-code list of issued access token
 *   ids goes: the grant covers them, and every token refreshed from it.
 * - `revocations.status_list_id` / `status_idx`: where the bit of the one token a `jti` record
 *   revokes lives (RFC 7009 presents the token, whose `status` claim says), so any process, at any
 *   time, can set that bit.
 * - `status_list_tokens`: which status-list indices the tokens of an owner (a client, subject,
 *   session or grant) hold, written in group commits as tokens are issued (see
 *   revocation/status-lists.ts): `indexes` packs 16-bit indices, little-endian.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex('revocations').where({ kind: 'session' }).whereNotNull('client_id').update({ client_id: null });
  await knex.schema.alterTable('revocations', (t) => {
    t.dropColumn('client_id');
  });
  await knex.schema.alterTable('revocations', (t) => {
    t.string('status_list_id', 64).nullable();
    t.integer('status_idx').nullable();
  });
  await knex.schema.alterTable('authorization_codes', (t) => {
    t.renameColumn('refresh_family_id', 'grant_id');
  });
  await knex.schema.alterTable('authorization_codes', (t) => {
    t.dropColumn('issued_access_tokens');
  });
  await knex.schema.createTable('status_list_tokens', (t) => {
    t.bigIncrements('id').primary();
    t.string('list_id', 64).notNullable();
    // `client:<client_id>`, `sub:<sub>`, `sid:<sid>` or `grant:<grant_id>`.
    t.string('owner', 300).notNullable();
    t.bigInteger('issued_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.binary('indexes').notNullable();
    t.index(['owner', 'expires_at']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('status_list_tokens');
  await knex.schema.alterTable('authorization_codes', (t) => {
    t.text('issued_access_tokens').notNullable().defaultTo('[]');
  });
  await knex.schema.alterTable('authorization_codes', (t) => {
    t.renameColumn('grant_id', 'refresh_family_id');
  });
  await knex.schema.alterTable('revocations', (t) => {
    t.dropColumn('status_idx');
    t.dropColumn('status_list_id');
  });
  await knex.schema.alterTable('revocations', (t) => {
    t.string('client_id', 64).nullable();
  });
}
