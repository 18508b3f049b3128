/**
 * The entry point shared by the benchmark's helper processes (driver.ts, verifier.ts): the mode is
 * the one argument, the options (client secrets, passwords) arrive as JSON on stdin, never in
 * argv, and the result leaves as one JSON line on stdout.
 */
export function runPinnedScript(label: string, modes: Readonly<Record<string, (options: any) => Promise<unknown>>>): void {
  const mode = process.argv[2];
  const run = mode === undefined ? undefined : modes[mode];
  if (run === undefined) {
    process.stderr.write(`usage: ${label} <${Object.keys(modes).join('|')}> < options.json\n`);
    process.exit(2);
  }
  const chunks: Buffer[] = [];
  process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
  process.stdin.on('end', () => {
    run(JSON.parse(Buffer.concat(chunks).toString('utf8'))).then(
      (result) => {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`${label} ${mode} failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  });
}
