/**
 * `npm run --silent cli -- <command> [options]`: argv → command → domain call → exactly one JSON
 * document on stdout and exit 0; or one line on stderr and a non-zero exit. Secrets come from
 * stdin, never from argv.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { openCore } from '../deps.js';
import { KeyEncryptionError } from '../keys/encryption.js';
import { CliError, type Command } from './command.js';
import { cliAuditLog } from './audit-destination.js';
import { clientsCreate, clientsDelete, clientsList } from './commands/clients.js';
import { keysImport, keysList, keysRevoke, keysRotate } from './commands/keys.js';
import { keyFaultHook } from '../keys/fault-injection.js';
import { migrate } from './commands/migrate.js';
import { usersCreate, usersDisable, usersEnable, usersMfaReset, usersSetPassword } from './commands/users.js';
import { tokensRevoke } from './commands/tokens.js';

const COMMANDS: Readonly<Record<string, Command>> = {
  migrate,
  'clients create': clientsCreate,
  'clients list': clientsList,
  'clients delete': clientsDelete,
  'keys list': keysList,
  'keys rotate': keysRotate,
  'keys revoke': keysRevoke,
  'users create': usersCreate,
  'users disable': usersDisable,
  'users enable': usersEnable,
  'users set-password': usersSetPassword,
  'users mfa reset': usersMfaReset,
  'tokens revoke': tokensRevoke,
  'keys import': keysImport,
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function findCommand(argv: readonly string[]): { name: string; command: Command; rest: string[] } {
  for (const words of [3, 2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS[name];
    if (command !== undefined) return { name, command, rest: argv.slice(words) };
  }
  throw new CliError(`unknown command ${JSON.stringify(argv.slice(0, 3).join(' '))}; commands: ${Object.keys(COMMANDS).join(', ')}`);
}

/**
 * A kid (an RFC 7638 thumbprint: 43 base64url characters) may begin with "-" (1 in 64): such an
 * argument is the kid, never an option (the CLI has no short options, and no long one that long).
 */
const KID = /^-[A-Za-z0-9_-]{42}$/;

/** parseArgs reads `-x…` as options: kids are given after `--`, where only positionals go. */
function kidsLast(args: readonly string[]): string[] {
  const kids = args.filter((arg) => KID.test(arg));
  return kids.length === 0 ? [...args] : [...args.filter((arg) => !KID.test(arg)), '--', ...kids];
}

async function main(argv: readonly string[]): Promise<void> {
  const { command, rest } = findCommand(argv);
  const flags = new Set(command.flags ?? []);
  let parsed;
  try {
    parsed = parseArgs({
      args: kidsLast(rest),
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        [...command.options, ...flags].map((name) => [name, { type: flags.has(name) ? 'boolean' : 'string', multiple: command.repeatable?.includes(name) === true }]),
      ),
    });
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const config = loadConfig();
  // INKAN_FAULT_INJECTION (test-only): the key crash tests kill the CLI in the middle of a rotation.
  const beforeKeyApply = keyFaultHook(config.faultInjection);
  // Operator commands are audit events; the lines go to CLI_AUDIT_LOG, never to stdout (cli/audit-destination.ts).
  const audit = cliAuditLog(config.operations.cliAuditLog);
  const core = await openCore(config, beforeKeyApply === undefined ? { audit } : { beforeKeyApply, audit });
  try {
    const result = await command.run(core, {
      positionals: parsed.positionals,
      options: parsed.values as Record<string, string | boolean | string[]>,
      readStdin,
      notify: (line) => process.stderr.write(`inkan: ${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await core.stores.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known = error instanceof CliError || error instanceof ConfigError || error instanceof KeyEncryptionError;
  process.stderr.write(`inkan: ${known ? (error as Error).message : `unexpected error: ${(error as Error).message}`}\n`);
  process.exitCode = 1;
});
