/** `tokens revoke --email E`: logs the person out everywhere (revocation/logout.ts). */
import { logOutEverywhere } from '../../revocation/logout.js';
import { CliError, type Command, requiredOption } from '../command.js';

export const tokensRevoke: Command = {
  options: ['email'],
  async run(core, input) {
    const email = requiredOption(input, 'email');
    const revoked = await logOutEverywhere({ users: core.stores.users, logout: core.logout, audit: core.audit }, email);
    if (revoked === undefined) throw new CliError(`no user with the email ${email}`);
    return { revoked };
  },
};
