/**
 * One revocation mechanism, and housekeeping for the people tables. Runs unchanged on SQLite and
 * PostgreSQL.
 *
 * - `revoked_access_tokens` goes: a replayed authorization code now revokes the access tokens it
 *   issued with `jti` revocation records (revocations table), which userinfo, introspection, the
 *   push feed and the status list all honour. Its rows become such records first (the purge drops
 *   those already expired).
 * - `authorization_codes.refresh_family_id`: the refresh-token family an exchange starts, chosen
 *   and recorded in the same update that consumes the code, so a replay finds exactly that family.
 * - `authorization_codes.replayed_at`: set by a replay; the exchange that started a family checks
 *   it after the family exists, which closes the window where a replay lands between the two.
 * - Indexes for the purge (housekeeping/purge.ts): sessions by `expires_at` and `ended_at`,
 *   login-throttle counters by `last_failure_at`.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    "insert into revocations (kind, value, not_before, created_at, expires_at) select 'jti', jti, null, revoked_at, expires_at from revoked_access_tokens order by revoked_at",
  );
  await knex.schema.dropTable('revoked_access_tokens');
  await knex.schema.alterTable('authorization_codes', (t) => {
    t.string('refresh_family_id', 64).nullable();
    t.bigInteger('replayed_at').nullable();
  });
  await knex.schema.alterTable('sessions', (t) => {
    t.index(['expires_at'], 'sessions_expires_at_index');
    t.index(['ended_at'], 'sessions_ended_at_index');
  });
  await knex.schema.alterTable('login_throttle', (t) => {
    t.index(['last_failure_at'], 'login_throttle_last_failure_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('login_throttle', (t) => {
    t.dropIndex(['last_failure_at'], 'login_throttle_last_failure_at_index');
  });
  await knex.schema.alterTable('sessions', (t) => {
    t.dropIndex(['ended_at'], 'sessions_ended_at_index');
    t.dropIndex(['expires_at'], 'sessions_expires_at_index');
  });
  await knex.schema.alterTable('authorization_codes', (t) => {
    t.dropColumn('replayed_at');
    t.dropColumn('refresh_family_id');
  });
  await knex.schema.createTable('revoked_access_tokens', (t) => {
    t.string('jti', 64).primary();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('revoked_at').notNullable();
    t.index(['expires_at']);
  });
}
