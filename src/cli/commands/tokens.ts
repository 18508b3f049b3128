/** `tokens revoke --email E`: logs the person out everywhere (revocation/logout.ts). */
import { CliError, type Command, requiredOption } from '../command.js';

export const tokensRevoke: Command = {
  options: ['email'],
  async run(core, input) {
    const email = requiredOption(input, 'email');
    const user = await core.stores.users.findByEmail(email);
    if (user === undefined) throw new CliError(`no user with the email ${email}`);
    return { revoked: await core.logout.revokeEverythingOfUser(user.id) };
  },
};
