/**
 * Session revocation records scoped to one client: what one refresh-token family issued, revoked
 * when the family is (RFC 7009 on a refresh token, or a replayed refresh token).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('revocations', (t) => {
    t.string('client_id', 64).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('revocations', (t) => {
    t.dropColumn('client_id');
  });
}
