/**
 * How a database statement is named in its trace span (src/storage/knex/statement-spans.ts):
 * `<OPERATION> <table>` from the SQL as knex and the prepared hot statements write it, on both
 * engines' placeholder styles, with the statement text as prepared (placeholders, no values).
 * The spans themselves, under a real request, are proved in test/flows/tracing.
 */
import { describe, expect, it } from 'vitest';
import { statementDescriber } from '../../src/storage/knex/statement-spans.js';

describe('statement spans', () => {
  const sqlite = statementDescriber('sqlite');
  const postgres = statementDescriber('postgresql');

  it.each([
    ['select * from `clients` where `client_id` = ? limit ?', 'SELECT clients', 'clients'],
    ['insert into "refresh_tokens" ("family_id", "hash") values ($1, $2)', 'INSERT refresh_tokens', 'refresh_tokens'],
    ['update "refresh_families" set "consumed_at" = $1 where "id" = $2 and "consumed_at" is null', 'UPDATE refresh_families', 'refresh_families'],
    ['delete from used_jtis where expires_at < ?', 'DELETE used_jtis', 'used_jtis'],
    ['  SELECT f.id FROM refresh_families f JOIN sessions s ON s.id = f.session_id', 'SELECT refresh_families', 'refresh_families'],
  ])('names %s as %s', (sql, name, table) => {
    const { name: spanName, attributes } = postgres(sql);
    expect(spanName).toBe(name);
    expect(attributes).toMatchObject({ 'db.system': 'postgresql', 'db.system.name': 'postgresql', 'db.collection.name': table, 'db.query.text': sql });
    expect(attributes['db.operation.name']).toBe(name.split(' ')[0]);
  });

  it('names a statement without a table by its operation alone', () => {
    expect(sqlite('BEGIN IMMEDIATE')).toEqual({ name: 'BEGIN', attributes: { 'db.system': 'sqlite', 'db.system.name': 'sqlite', 'db.operation.name': 'BEGIN', 'db.query.text': 'BEGIN IMMEDIATE' } });
    expect(sqlite('PRAGMA wal_checkpoint(PASSIVE)').name).toBe('PRAGMA');
    expect(postgres('select pg_notify(?, ?)').name).toBe('SELECT');
  });

  it('describes each distinct statement once', () => {
    const sql = 'select * from "users" where "id" = ?';
    expect(sqlite(sql)).toBe(sqlite(sql));
  });
});
