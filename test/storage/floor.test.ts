/**
 * Storage is the floor of src/, checked rather than promised: nothing under src/storage/ imports a
 * domain folder or config.ts (the domain imports its store types from storage/, never the other
 * way), and the verifier SDK's record types enter through one file only (storage/revocations.ts).
 * The one leaf it may use is tracing/spans.ts, for the statement spans: it imports nothing of src/.
 * That only storage/knex/ imports the database drivers is `npm run lint`'s (eslint.config.js).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
const STORAGE = path.join(SRC, 'storage');

/** What storage may import from outside itself, by importing file (relative to src/). */
const ALLOWED_OUTSIDE: Readonly<Record<string, readonly string[]>> = {
  'storage/revocations.ts': ['@inkan/verifier/protocol'],
  // Owner-only modes for the SQLite files: a leaf module that imports only node:fs.
  'storage/knex/connection.ts': ['file-modes.ts'],
  // A span per statement (tracing/ sits below storage in the layers and imports only the OpenTelemetry API).
  'storage/knex/statement-spans.ts': ['tracing/spans.ts'],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** Every module specifier a file imports or re-exports (type-only ones included). */
function specifiers(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g)].map((match) => match[1]!);
}

const relative = (file: string) => path.relative(SRC, file).split(path.sep).join('/');

it('imports nothing from src/ outside storage/ but the declared exceptions', () => {
  const outside: string[] = [];
  for (const file of sourceFiles(STORAGE)) {
    for (const specifier of specifiers(file)) {
      if (specifier.startsWith('@inkan/')) {
        if (!ALLOWED_OUTSIDE[relative(file)]?.includes(specifier)) outside.push(`${relative(file)} -> ${specifier}`);
        continue;
      }
      if (!specifier.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'));
      if (!target.startsWith(SRC + path.sep) || target.startsWith(STORAGE + path.sep)) continue;
      if (ALLOWED_OUTSIDE[relative(file)]?.includes(relative(target))) continue;
      outside.push(`${relative(file)} -> ${relative(target)}`);
    }
  }
  expect(outside).toEqual([]);
});
