/**
 * The server's stdout log (log.ts): lines are gathered into chunks and written synchronously, so
 * they arrive whole and in order however many fill a chunk, a quiet server's lines reach stdout
 * within the second, and `logger.flush(cb)` (main.ts on exit) writes what is pending first.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/inkan.js';

/** Runs `body` in a child process with `log` = createLogger('info'); resolves its stdout lines. */
async function logLines(body: string, options: { killAfterMs?: number } = {}): Promise<string[]> {
  const logModule = JSON.stringify(path.join(ROOT, 'dist/src/log.js'));
  const script = `const { createLogger } = await import(${logModule}); const log = createLogger('info'); ${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
  await new Promise((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return out.split('\n').filter((line) => line !== '');
}

describe('the stdout log', () => {
  it('writes many chunks of lines whole and in order, and flushes the rest on exit', async () => {
    const lines = await logLines(`for (let n = 0; n < 5000; n++) log.info({ n, pad: 'x'.repeat(n % 97) }, 'line'); log.flush(() => process.exit(0));`);
    expect(lines).toHaveLength(5000);
    expect(lines.map((line) => JSON.parse(line).n)).toEqual(Array.from({ length: 5000 }, (_, n) => n));
  });

  it('writes a quiet process\'s line within the second, without a flush', async () => {
    // The process stays up (a timer) and is killed after 1.5 s: only the periodic flush can have written.
    const lines = await logLines(`log.info({ quiet: true }, 'alone'); setInterval(() => {}, 1000);`, { killAfterMs: 1500 });
    expect(lines.map((line) => JSON.parse(line))).toEqual([expect.objectContaining({ quiet: true, msg: 'alone', level: 30, service: 'inkan' })]);
  });
});
