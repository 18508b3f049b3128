/**
 * The shape of a CLI command: parsed arguments in, one JSON-serialisable result out. Commands
 * hold no logic of their own; they call the same domain functions as the server.
 */
import type { Core } from '../deps.js';

export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface CommandInput {
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | readonly string[] | undefined>>;
  /** Reads standard input to its end (secrets come this way, never through argv). */
  readonly readStdin: () => Promise<string>;
  /** Tells the operator what a long command is doing (one line on stderr; stdout stays one JSON document). */
  readonly notify: (line: string) => void;
}

export interface Command {
  /** parseArgs option definitions; every option takes a value unless listed in `flags`. */
  readonly options: readonly string[];
  readonly flags?: readonly string[];
  /** Options of `options` that may be given more than once (their value is then a list). */
  readonly repeatable?: readonly string[];
  run(core: Core, input: CommandInput): Promise<unknown>;
}

export function requiredOption(input: CommandInput, name: string): string {
  const value = input.options[name];
  if (typeof value !== 'string' || value === '') throw new CliError(`--${name} is required`);
  return value;
}

export function optionalOption(input: CommandInput, name: string): string | undefined {
  const value = input.options[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(input: CommandInput, name: string): string[] | undefined {
  const value = optionalOption(input, name);
  return value === undefined ? undefined : value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/** Every value of a repeatable option (`--name a --name b`), in order; [] without one. */
export function repeatedOption(input: CommandInput, name: string): readonly string[] {
  const value = input.options[name];
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
}

export function onePositional(input: CommandInput, what: string): string {
  const [value, ...rest] = input.positionals;
  if (value === undefined || rest.length > 0) throw new CliError(`expected exactly one ${what}`);
  return value;
}
