/**
 * For the knex CLI (e.g. `npx knex --knexfile knexfile.ts migrate:status` with a TypeScript loader
 * such as `NODE_OPTIONS="--import tsx"`). It reads DATABASE_URL like the server, through the same
 * config parser, and uses the same list of migrations.
 */
import { loadConfig } from './src/config.js';
import { knexConfig } from './src/storage/knex/connection.js';

export default knexConfig(loadConfig().database);
