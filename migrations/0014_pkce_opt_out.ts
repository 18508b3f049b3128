/**
 * PKCE for every client. Runs unchanged on SQLite and PostgreSQL.
 * `clients.allow_no_pkce`: PKCE is required of every client unless it was registered with
 * `--allow-no-pkce` (confidential clients only). Confidential clients registered before this
 * migration could send code requests without PKCE, and there is no command to re-register one in
 * place, so they keep that opt-out; public clients never had it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.boolean('allow_no_pkce').notNullable().defaultTo(false);
  });
  await knex('clients').whereNot('auth_method', 'none').update({ allow_no_pkce: true });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.dropColumn('allow_no_pkce');
  });
}
