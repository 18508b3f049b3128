/**
 * `createRequestLog` (src/http/request-log.ts) builds the access line of every request from
 * pre-serialised parts instead of JSON.stringify over a fresh object. The line must stay the one
 * pino writes for the same fields, byte for byte: each line here is parsed, its fields handed to
 * pino with the line's own time, and the two compared; paths a client can choose (quotes,
 * backslashes, control characters, non-ASCII) and methods Koa may be handed included. The
 * observer (the request metrics) hears of every request with its route, method, status and
 * duration.
 */
import { pino, type DestinationStream } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRequestLog } from '../../src/http/request-log.js';
import { createLogger } from '../../src/log.js';

function capture(): DestinationStream & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

/** The line pino writes for `fields` at `time` with the server's base. */
function pinoLine(time: number, fields: Record<string, unknown>): string {
  const out = capture();
  pino({ level: 'info', base: { service: 'inkan' }, timestamp: () => `,"time":${time}` }, out).info(fields, 'request');
  return out.lines[0]!;
}

const ANSWERS = [
  { method: 'GET', path: '/jwks', route: '/jwks', status: 200 },
  { method: 'HEAD', path: '/jwks/', route: '/jwks', status: 304 },
  { method: 'POST', path: '/token', route: '/token', status: 400 },
  { method: 'M-SEARCH', path: '/nowhere', route: undefined, status: 404 },
  { method: 'GET', path: '/a "quoted" \\ path\twith\ncontrol\u0001 ✓ 印鑑', route: undefined, status: 404 },
  { method: 'DELETE', path: '/admin/clients/%22x%22', route: '/admin/clients/:id', status: 500 },
  { method: 'GET', path: '/jwks', route: '/jwks', status: 200 },
] as const;

describe('createRequestLog', () => {
  it('writes, for every request, the line pino writes for the same fields', () => {
    const out = capture();
    const observed: unknown[] = [];
    const requestLog = createRequestLog(createLogger('info', out), (route, method, status, seconds) => observed.push({ route, method, status, seconds }));
    const ids = [requestLog.idFor(undefined), requestLog.idFor('offered-id_1.2'), requestLog.idFor('not acceptable'), requestLog.idFor('')];
    expect(ids[1]).toBe('offered-id_1.2');
    for (const id of [ids[0], ids[2], ids[3]]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    ANSWERS.forEach((answer, n) => {
      requestLog.answered({ requestId: ids[n % ids.length]!, ...answer, startedAt: process.hrtime.bigint() - 1_234_567n });
    });
    expect(out.lines).toHaveLength(ANSWERS.length);
    out.lines.forEach((line, n) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const { method, path, status } = ANSWERS[n]!;
      expect(parsed).toEqual({ level: 30, time: expect.any(Number), service: 'inkan', reqId: ids[n % ids.length], method, path, status, ms: expect.any(Number), msg: 'request' });
      expect(parsed.ms as number).toBeGreaterThanOrEqual(1.23);
      const { reqId, ms } = parsed;
      expect(line).toBe(pinoLine(parsed.time as number, { reqId, method, path, status, ms }));
    });
    expect(observed).toEqual(ANSWERS.map(({ method, route, status }) => ({ route, method, status, seconds: expect.any(Number) })));
  });

  it('writes no access line above info, and still counts the request', () => {
    const out = capture();
    const observed: unknown[] = [];
    const requestLog = createRequestLog(createLogger('warn', out), (route) => observed.push(route));
    requestLog.answered({ requestId: 'r1', method: 'GET', path: '/jwks', route: '/jwks', status: 200, startedAt: process.hrtime.bigint() });
    expect(out.lines).toEqual([]);
    expect(observed).toEqual(['/jwks']);
  });
});
