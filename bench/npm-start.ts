/**
 * How the bench starts Inkan: exactly as `npm start` does (run.ts for the pinned parts, workers.ts
 * for WORKERS), so the two cannot drift apart (docs/performance.md, "Memory").
 */
import fs from 'node:fs';
import path from 'node:path';

export interface NpmStart {
  /** The script's variable assignments, each as the shell would expand it here. */
  readonly env: Record<string, string>;
  readonly nodeFlags: string[];
  /** The entry point, relative to the package root. */
  readonly script: string;
}

/**
 * What `npm start` runs, from package.json's `start` script: `NAME=${NAME:-default} …` assignments,
 * then `node`, its flags and the entry point. Any other shape throws, so that a change to the
 * script is carried over here rather than silently benchmarking something else.
 */
export function npmStart(root: string): NpmStart {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = scripts.start!.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let word = words.shift();
  for (; word !== undefined && word !== 'node'; word = words.shift()) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=(?:\$\{\1:-([^}]*)\}|([^$]*))$/.exec(word);
    if (assignment === null) throw new Error(`package.json start: cannot read "${word}"`);
    env[assignment[1]!] = process.env[assignment[1]!] !== undefined && assignment[2] !== undefined ? process.env[assignment[1]!]! : (assignment[2] ?? assignment[3]!);
  }
  const script = words.pop();
  if (word !== 'node' || script === undefined || !script.endsWith('.js') || words.some((flag) => !flag.startsWith('--'))) {
    throw new Error(`package.json start: expected "[NAME=value …] node [--flag …] entry.js", found "${scripts.start}"`);
  }
  return { env, nodeFlags: words, script };
}

