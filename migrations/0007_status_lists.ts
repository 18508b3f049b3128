/**
 * Token Status Lists. A list is leased by one process at a time, which hands out its
 * indices at random (see revocation/status-lists.ts); `free_after` is when every token issued
 * from the previous lease has expired, so the list may be leased again. Revoked entries carry the
 * covered token's `exp` and stop mattering after it. Runs unchanged on SQLite and PostgreSQL.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('status_lists', (t) => {
    t.string('id', 64).primary();
    t.integer('capacity').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('lease_until').notNullable();
    t.bigInteger('free_after').notNullable();
    t.index(['free_after']);
  });
  await knex.schema.createTable('status_list_entries', (t) => {
    t.string('list_id', 64).notNullable();
    t.integer('idx').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.primary(['list_id', 'idx']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('status_list_entries');
  await knex.schema.dropTable('status_lists');
}
