/**
 * `keys list | rotate | revoke | import`: the operator's handle on the key lifecycle. Each command
 * is one KeyManager call (the same code the server's scheduler runs, compare-and-set included);
 * a running server picks the change up on its next key-version check (within seconds).
 *
 * `keys rotate` and `keys revoke <active kid>` promote the published `next` key; when it has not
 * been published for JWKS_MAX_AGE + 3 s yet, they say so on stderr and wait (at most that long),
 * since a key that signs before every cached JWKS holds it makes verifiers fail. `--unpublished`
 * is the operator's explicit way round: a fresh key signs at once, and the answer carries a
 * `warning`.
 */
import fs from 'node:fs';
import { describeKey, revocationAnswer, rotationAnswer } from '../../keys/describe.js';
import { SIGNING_ALGS, type SigningAlg } from '../../storage/keys.js';
import { KeyImportError, parseImportedKey } from '../../keys/import.js';
import { type Activation, KeyLifecycleError, KeyNotReadyError } from '../../keys/lifecycle.js';
import type { KeyChangeOptions } from '../../keys/key-manager.js';
import { CliError, type Command, type CommandInput, onePositional, optionalOption, requiredOption } from '../command.js';

export { describeKey };

/** Lifecycle refusals (unknown kid, known kid, a wait given up) are one line, exit 1. */
async function asCliError<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof KeyLifecycleError || error instanceof KeyImportError || error instanceof KeyNotReadyError) throw new CliError(error.message);
    throw error;
  }
}

/** What replaces an active key: the published `next` key (waited for), or with `--unpublished` a fresh one. */
function changeOptions(input: CommandInput): KeyChangeOptions & { activation: Activation } {
  return {
    activation: input.options.unpublished === true ? 'unpublished' : 'published',
    wait: true,
    onWait: (reason) => input.notify(`${reason.message}; waiting (--unpublished would make a never-published key sign at once)`),
  };
}

export const keysList: Command = {
  options: [],
  async run(core, input) {
    if (input.positionals.length > 0) throw new CliError('keys list takes no arguments');
    return (await core.keyManager.list()).keys.map(describeKey);
  },
};

export const keysRotate: Command = {
  options: ['alg'],
  flags: ['unpublished'],
  async run(core, input) {
    if (input.positionals.length > 0) throw new CliError('keys rotate takes no positional arguments (did you mean --alg?)');
    const alg = optionalOption(input, 'alg');
    if (alg !== undefined && !(SIGNING_ALGS as readonly string[]).includes(alg)) {
      throw new CliError(`--alg must be one of ${SIGNING_ALGS.join(', ')}`);
    }
    const options = changeOptions(input);
    const active = await asCliError(() => core.keyManager.rotate(alg === undefined ? SIGNING_ALGS : [alg as SigningAlg], options));
    return rotationAnswer(active, options.activation, core.config.jwksMaxAgeSeconds);
  },
};

export const keysRevoke: Command = {
  options: [],
  flags: ['unpublished'],
  async run(core, input) {
    const kid = onePositional(input, 'kid');
    const options = changeOptions(input);
    const active = await asCliError(() => core.keyManager.revoke(kid, options));
    return revocationAnswer(kid, active, options.activation, core.config.jwksMaxAgeSeconds);
  },
};

async function readKeyFile(input: CommandInput, file: string): Promise<string> {
  if (file === '-') return input.readStdin();
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read --file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** `keys import --file F` (`-` for stdin): PEM or private JWK; RSA ≥ 2048 bits or Ed25519. */
export const keysImport: Command = {
  options: ['file'],
  async run(core, input) {
    if (input.positionals.length > 0) throw new CliError('keys import takes the key with --file F (or --file - for stdin)');
    const text = await readKeyFile(input, requiredOption(input, 'file'));
    const imported = await asCliError(async () => core.keyManager.import(parseImportedKey(text)));
    return { imported: { kid: imported.kid, alg: imported.alg, status: imported.status } };
  },
};
