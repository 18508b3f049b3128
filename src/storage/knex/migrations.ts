/**
 * The ordered list of migrations. Listing them in code (rather than letting knex scan a folder)
 * makes the same names apply whether Inkan runs from TypeScript sources or compiled JavaScript,
 * and lets the knex CLI use them through knexfile.ts.
 */
import type { Knex } from 'knex';
import * as foundation from '../../../migrations/0001_foundation.js';
import * as people from '../../../migrations/0002_people.js';
import * as refresh from '../../../migrations/0003_refresh.js';
import * as statusLists from '../../../migrations/0007_status_lists.js';
import * as scale from '../../../migrations/0008_scale.js';
import * as asymmetric from '../../../migrations/0009_asymmetric.js';
import * as consolidation from '../../../migrations/0011_consolidation.js';
import * as familyRevocations from '../../../migrations/0012_family_revocations.js';
import * as grantsAndDurableStatus from '../../../migrations/0013_grants_and_durable_status.js';
import * as pkceOptOut from '../../../migrations/0014_pkce_opt_out.js';
import * as pendingByAddress from '../../../migrations/0015_pending_by_address.js';
import * as backchannelLogout from '../../../migrations/0016_backchannel_logout.js';
import * as sharedSignals from '../../../migrations/0019_shared_signals.js';
import * as secondFactors from '../../../migrations/0017_second_factors.js';
import * as passkeys from '../../../migrations/0018_passkeys.js';
import * as federatedClients from '../../../migrations/0020_federated_clients.js';
import * as clientLogo from '../../../migrations/0023_client_logo.js';
import * as deviceAuthorizations from '../../../migrations/0021_device_authorizations.js';

interface Migration {
  readonly name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: readonly Migration[] = [
  { name: '0001_foundation', ...foundation },
  { name: '0002_people', ...people },
  { name: '0003_refresh', ...refresh },
  { name: '0007_status_lists', ...statusLists },
  { name: '0008_scale', ...scale },
  { name: '0009_asymmetric', ...asymmetric },
  { name: '0011_consolidation', ...consolidation },
  { name: '0012_family_revocations', ...familyRevocations },
  { name: '0013_grants_and_durable_status', ...grantsAndDurableStatus },
  { name: '0014_pkce_opt_out', ...pkceOptOut },
  { name: '0015_pending_by_address', ...pendingByAddress },
  { name: '0016_backchannel_logout', ...backchannelLogout },
  { name: '0019_shared_signals', ...sharedSignals },
  { name: '0017_second_factors', ...secondFactors },
  { name: '0018_passkeys', ...passkeys },
  { name: '0020_federated_clients', ...federatedClients },
  { name: '0023_client_logo', ...clientLogo },
  { name: '0021_device_authorizations', ...deviceAuthorizations },
];

export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};
