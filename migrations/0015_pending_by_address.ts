/**
 * Pending sign-ins by address. Runs unchanged on SQLite and PostgreSQL.
 * `authorization_requests.address_key`: the login throttle's key of the client address that
 * started the request (an IPv6 client by its /64), so that one address cannot grow the table
 * without bound (login/authorizer.ts counts its live requests before adding one). Requests stored
 * before this migration have none and count for no address.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('authorization_requests', (t) => {
    t.string('address_key', 100).nullable();
    t.index(['address_key', 'expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('authorization_requests', (t) => {
    t.dropIndex(['address_key', 'expires_at']);
    t.dropColumn('address_key');
  });
}
