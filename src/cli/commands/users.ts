import { createUser, disableUser, enableUser, setPassword, UserError } from '../../accounts/users.js';
import { resetSecondFactors } from '../../accounts/mfa-reset.js';
import { CliError, type Command, type CommandInput, requiredOption } from '../command.js';

function cliErrors<T>(run: () => Promise<T>): Promise<T> {
  return run().catch((error: unknown) => {
    if (error instanceof UserError) throw new CliError(error.message);
    throw error;
  });
}

/** The password of `--password-stdin`: stdin, without one trailing newline (from `echo` or a heredoc). */
async function passwordFromStdin(input: CommandInput): Promise<string> {
  if (input.options['password-stdin'] !== true) throw new CliError('--password-stdin is required: the password is read from standard input');
  const raw = await input.readStdin();
  return raw.endsWith('\r\n') ? raw.slice(0, -2) : raw.endsWith('\n') ? raw.slice(0, -1) : raw;
}

/** `users create --email E [--name N] --password-stdin`: the password comes from stdin, never argv. */
export const usersCreate: Command = {
  options: ['email', 'name'],
  flags: ['password-stdin'],
  async run(core, input) {
    const email = requiredOption(input, 'email');
    const password = await passwordFromStdin(input);
    const name = input.options.name;
    const user = await cliErrors(() =>
      createUser({ users: core.stores.users, clock: core.clock, audit: core.audit }, { email, name: typeof name === 'string' ? name : undefined, password }),
    );
    return { id: user.id, email: user.email };
  },
};

/** `users disable --email E`: disables the account and logs the person out everywhere. */
export const usersDisable: Command = {
  options: ['email'],
  async run(core, input) {
    const email = requiredOption(input, 'email');
    await cliErrors(() =>
      disableUser({ users: core.stores.users, clock: core.clock, revoker: core.revoker, audit: core.audit }, email),
    );
    return { disabled: email };
  },
};

/** `users enable --email E`: the pair of `users disable`; the person may sign in again. */
export const usersEnable: Command = {
  options: ['email'],
  async run(core, input) {
    const email = requiredOption(input, 'email');
    await cliErrors(() => enableUser({ users: core.stores.users, securityEvents: core.securityEvents, audit: core.audit }, email));
    return { enabled: email };
  },
};

/** `users set-password --email E --password-stdin`: a new password; every session of the person ends (accounts/users.ts). */
export const usersSetPassword: Command = {
  options: ['email'],
  flags: ['password-stdin'],
  async run(core, input) {
    const email = requiredOption(input, 'email');
    const password = await passwordFromStdin(input);
    await cliErrors(() => setPassword({ users: core.stores.users, revoker: core.revoker, audit: core.audit }, email, password));
    return { password_set: email };
  },
};

/**
 * `users mfa reset --email E`: removes every second factor of the person (authenticator apps,
 * recovery codes, passkeys) and ends their sessions (accounts/mfa-reset.ts).
 */
export const usersMfaReset: Command = {
  options: ['email'],
  async run(core, input) {
    const email = requiredOption(input, 'email');
    await cliErrors(() => resetSecondFactors({ users: core.stores.users, factors: core.factors, revoker: core.revoker, audit: core.audit }, email));
    return { reset: email };
  },
};
