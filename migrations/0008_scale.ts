/**
 * Scale-out: what several instances on one PostgreSQL need beyond 0001–0007.
 *
 * - `consents.client_id`: the foreign key's ON DELETE CASCADE (`clients delete`) would otherwise
 *   scan every consent; the primary key (user_id, client_id) only serves lookups by user.
 * - `refresh_families.revoked_at`: the purge looks for families that are revoked OR expired;
 *   with both columns indexed each engine answers that from indexes instead of a table scan.
 * - `revocations.id` as int8 on PostgreSQL: `increments` makes a 32-bit serial there, and ids are
 *   never reused (they are the feed's event ids), so a busy cluster could run out; SQLite's
 *   INTEGER PRIMARY KEY is 64-bit already.
 */
import type { Knex } from 'knex';

const isPostgres = (knex: Knex): boolean => (knex.client as { config: Knex.Config }).config.client === 'pg';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('consents', (t) => {
    t.index(['client_id'], 'consents_client_id_index');
  });
  await knex.schema.alterTable('refresh_families', (t) => {
    t.index(['revoked_at'], 'refresh_families_revoked_at_index');
  });
  if (isPostgres(knex)) {
    await knex.raw('alter table revocations alter column id type bigint');
    await knex.raw('alter sequence revocations_id_seq as bigint');
  }
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw('alter sequence revocations_id_seq as integer');
    await knex.raw('alter table revocations alter column id type integer');
  }
  await knex.schema.alterTable('refresh_families', (t) => {
    t.dropIndex(['revoked_at'], 'refresh_families_revoked_at_index');
  });
  await knex.schema.alterTable('consents', (t) => {
    t.dropIndex(['client_id'], 'consents_client_id_index');
  });
}
