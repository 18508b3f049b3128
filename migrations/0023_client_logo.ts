/**
 * A client's `logo_uri` (OpenID Connect Dynamic Client Registration 1.0 §2, RFC 7591 §2): the
 * image the consent page shows beside the client's name. Runs unchanged on SQLite and PostgreSQL;
 * null for a client that registered none (every client written before this migration).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.string('logo_uri', 2048).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.dropColumn('logo_uri');
  });
}
