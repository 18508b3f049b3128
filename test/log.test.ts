/**
 * log.ts: the stdout log gathers lines into chunks written synchronously, so they arrive whole and
 * in order however many fill a chunk, a quiet server's lines reach stdout within the second, and
 * `logger.flush(cb)` (main.ts on exit) writes what is pending first. The access and audit lines
 * (plainLines) are the very lines pino writes for the same fields, and obey the level.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pino, type DestinationStream, type LevelWithSilent } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, plainLines } from '../src/log.js';
import { ROOT } from './helpers/inkan.js';

const TIME = 1_796_400_000_123;

function capture(): DestinationStream & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

/** What pino itself writes: the server's logger (redaction and all) at `level`, a fixed time. */
function pinoLines(level: LevelWithSilent, bindings: Record<string, unknown>, records: [object, string][]): string[] {
  const out = capture();
  const log = pino({ level, base: { service: 'inkan' }, timestamp: () => `,"time":${TIME}` }, out).child(bindings);
  for (const [fields, msg] of records) log.info(fields, msg);
  return out.lines;
}

function ourLines(level: LevelWithSilent, bindings: Record<string, unknown>, records: [object, string][]): string[] {
  const out = capture();
  const lines = plainLines(createLogger(level, out), { bindings, now: () => TIME });
  for (const [fields, msg] of records) lines.info(fields, msg);
  return out.lines;
}

const RECORDS: [object, string][] = [
  [{ reqId: '5484b689-cd87-4b75-9b00-c25ccfbefff0', method: 'GET', path: '/jwks', status: 200, ms: 0.37 }, 'request'],
  [{ reqId: 'abc', method: 'POST', path: '/token', status: 400, ms: 12 }, 'request'],
  [{ actor: 'client', actor_id: 'c-1', reqId: undefined, client_address: '127.0.0.1', event: 'token.issued', grant_type: 'client_credentials', client_id: 'c-1', sub: 'c-1', alg: 'EdDSA', jti: 'x_Y-z' }, 'token.issued'],
  [{ actor: 'cli', event: 'client.created', client_id: 'c-2', name: 'a "quoted" \\ name\twith\ncontrol ✓ 印鑑', auth_method: 'client_secret_basic', grant_types: ['client_credentials', 'refresh_token'] }, 'client.created'],
  [{ actor: 'system', event: 'key.rotated', alg: 'RS256', kid: 'k2', previous_kid: null }, 'key.rotated'],
  [{}, 'nothing else'],
];

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

describe('plainLines', () => {
  it('writes what pino writes for the same fields, bindings and message', () => {
    expect(ourLines('info', {}, RECORDS)).toEqual(pinoLines('info', {}, RECORDS));
    expect(ourLines('info', { audit: true, os_user: 'root' }, RECORDS)).toEqual(pinoLines('info', { audit: true, os_user: 'root' }, RECORDS));
    expect(ourLines('info', {}, RECORDS).map((line) => JSON.parse(line))[2]).not.toHaveProperty('reqId');
  });

  it('keeps the bindings of a child logger (a cluster worker\'s `worker`), as pino does', () => {
    const out = capture();
    const lines = plainLines(createLogger('info', out).child({ worker: 1 }), { bindings: { audit: true }, now: () => TIME });
    for (const [fields, msg] of RECORDS) lines.info(fields, msg);
    const expected = capture();
    const log = pino({ level: 'info', base: { service: 'inkan' }, timestamp: () => `,"time":${TIME}` }, expected).child({ worker: 1 }).child({ audit: true });
    for (const [fields, msg] of RECORDS) log.info(fields, msg);
    expect(out.lines).toEqual(expected.lines);
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ worker: 1, audit: true });
  });

  it('writes nothing above info, and follows a level given for the lines themselves', () => {
    expect(ourLines('warn', {}, RECORDS)).toEqual([]);
    expect(ourLines('silent', {}, RECORDS)).toEqual([]);
    expect(ourLines('debug', {}, RECORDS)).toHaveLength(RECORDS.length);
    const out = capture();
    plainLines(createLogger('error', out), { level: 'info', now: () => TIME }).info({ a: 1 }, 'kept');
    expect(out.lines).toEqual([`{"level":30,"time":${TIME},"service":"inkan","a":1,"msg":"kept"}\n`]);
  });
});
