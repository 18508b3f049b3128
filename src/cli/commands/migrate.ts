import type { Command } from '../command.js';

/** Migrations are applied by opening the core; this command reports that they are. */
export const migrate: Command = {
  options: [],
  async run() {
    return { migrated: true };
  },
};
