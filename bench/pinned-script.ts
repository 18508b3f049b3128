/**
 * The entry point shared by the benchmark's helper processes (driver.ts, verifier.ts): the mode is
 * the one argument, the options (client secrets, passwords) arrive as one JSON line on stdin,
 * never in argv, and results leave as JSON lines on stdout.
 *
 * A one-shot mode answers once and exits. A mode measured in rounds (paired.ts alternates two of
 * them) prepares once, answers `{"ready":true}`, then measures once per `{"seconds":n}` line on
 * stdin and exits when stdin ends: its chains of single-use tokens and its warm JIT survive from
 * one round to the next, and between rounds it sends nothing.
 */
import readline from 'node:readline';

type OneShot = (options: any) => Promise<unknown>;
export interface Rounds {
  readonly prepare: (options: any) => Promise<(seconds: number) => Promise<unknown>>;
}

function answer(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function serve(run: OneShot | Rounds): Promise<void> {
  let measure: ((seconds: number) => Promise<unknown>) | undefined;
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (measure !== undefined) {
      answer(await measure((JSON.parse(line) as { seconds: number }).seconds));
    } else if (typeof run === 'function') {
      answer(await run(JSON.parse(line)));
      return;
    } else {
      measure = await run.prepare(JSON.parse(line));
      answer({ ready: true });
    }
  }
}

export function runPinnedScript(label: string, modes: Readonly<Record<string, OneShot | Rounds>>): void {
  const mode = process.argv[2];
  const run = mode === undefined ? undefined : modes[mode];
  if (run === undefined) {
    process.stderr.write(`usage: ${label} <${Object.keys(modes).join('|')}> < options.json\n`);
    process.exit(2);
  }
  serve(run).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${label} ${mode} failed: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
