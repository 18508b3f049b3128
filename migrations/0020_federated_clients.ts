/**
 * Federated workload credentials (RFC 7523 §2.2 client authentication with a foreign issuer's JWT,
 * src/federation/). Runs unchanged on SQLite and PostgreSQL. A `federated` client keeps no secret
 * and no key: only whose tokens it accepts, in these columns of `clients` (all null for every
 * other client):
 * - `federated_issuer`, `federated_subject`: the token's `iss` and `sub`, matched exactly;
 * - `federated_jwks_uri`: the issuer's keys, when not found through its discovery document;
 * - `federated_audience`: what the token's `aud` must contain, when not Inkan's issuer;
 * - `federated_claims`: JSON object of further claims matched exactly (`{}` for none).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.string('federated_issuer', 2048).nullable();
    t.string('federated_subject', 1024).nullable();
    t.string('federated_jwks_uri', 2048).nullable();
    t.string('federated_audience', 2048).nullable();
    t.text('federated_claims').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.dropColumn('federated_claims');
    t.dropColumn('federated_audience');
    t.dropColumn('federated_jwks_uri');
    t.dropColumn('federated_subject');
    t.dropColumn('federated_issuer');
  });
}
