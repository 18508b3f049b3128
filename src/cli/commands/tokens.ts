/** `tokens revoke --email E`: logs the person out everywhere (revocation/revoker.ts). */
import { logOutEverywhere } from '../../revocation/revoker.js';
import { CliError, type Command, requiredOption } from '../command.js';

export const tokensRevoke: Command = {
  options: ['email'],
  async run(core, input) {
    const email = requiredOption(input, 'email');
    const revoked = await logOutEverywhere({ users: core.stores.users, revoker: core.revoker, audit: core.audit }, email);
    if (revoked === undefined) throw new CliError(`no user with the email ${email}`);
    return { revoked };
  },
};
