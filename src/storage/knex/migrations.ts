/**
 * The ordered list of migrations. Listing them in code (rather than letting knex scan a folder)
 * makes the same names apply whether Inkan runs from TypeScript sources or compiled JavaScript,
 * and lets the knex CLI use them through knexfile.ts.
 */
import type { Knex } from 'knex';
import * as foundation from '../../../migrations/0001_foundation.js';

interface Migration {
  readonly name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: readonly Migration[] = [{ name: '0001_foundation', ...foundation }];

export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};
