/**
 * The group commit (src/storage/knex/sqlite-session.ts) runs several callers' statements in one
 * transaction, later than they asked: each caller's statement spans must still land under that
 * caller's span, not under whichever request scheduled the batch. A recording tracer of the
 * OpenTelemetry API's own interfaces stands in for the SDK (whose ESM build vitest would load here),
 * registered for this file's process only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { context, trace, TraceFlags, type Context, type Span, type SpanContext, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Knex } from 'knex';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/knex/connection.js';
import { sqliteSessions, type SqliteSessions } from '../../src/storage/knex/sqlite-session.js';

interface Recorded {
  readonly name: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
}
const recorded: Recorded[] = [];

/** A span that records its name and parent when it ends, and nothing else. */
function recordingSpan(name: string, parent: Span | undefined): Span {
  const spanContext: SpanContext = { traceId: crypto.randomBytes(16).toString('hex'), spanId: crypto.randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED };
  const span: Span = {
    spanContext: () => spanContext,
    setAttribute: () => span,
    setAttributes: () => span,
    addEvent: () => span,
    addLink: () => span,
    addLinks: () => span,
    setStatus: () => span,
    updateName: () => span,
    end: () => void recorded.push({ name, spanId: spanContext.spanId, parentSpanId: parent?.spanContext().spanId }),
    isRecording: () => true,
    recordException: () => undefined,
  };
  return span;
}

const tracer: Tracer = {
  startSpan: (name, _options, parentContext?: Context) => recordingSpan(name, trace.getSpan(parentContext ?? context.active())),
  startActiveSpan: ((name: string, ...rest: unknown[]) => {
    const fn = rest[rest.length - 1] as (span: Span) => unknown;
    const span = recordingSpan(name, trace.getActiveSpan());
    return context.with(trace.setSpan(context.active(), span), fn, undefined, span);
  }) as Tracer['startActiveSpan'],
};
const provider: TracerProvider = { getTracer: () => tracer };

let dir: string;
let db: Knex;
let sessions: SqliteSessions;

beforeAll(async () => {
  expect(context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())).toBe(true);
  expect(trace.setGlobalTracerProvider(provider)).toBe(true);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-group-commit-tracing-'));
  db = openDatabase({ engine: 'sqlite', filename: path.join(dir, 'inkan.sqlite') });
  await db.schema.createTable('notes', (t) => {
    t.integer('id').primary();
  });
  sessions = sqliteSessions(db);
});

afterAll(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
  trace.disable();
  context.disable();
});

it('puts each caller\'s statements of a shared commit under that caller\'s span', async () => {
  const request = (id: number) =>
    trace.getTracer('test').startActiveSpan(`request ${id}`, async (span) => {
      await sessions.transaction((sql) => sql.run('INSERT INTO notes (id) VALUES (?)', id));
      span.end();
      return span.spanContext().spanId;
    });
  // Asked for in one turn: one batch, scheduled by the first request.
  const [first, second] = await Promise.all([request(1), request(2)]);
  const inserts = recorded.filter((span) => span.name === 'INSERT notes');
  expect(inserts.map((span) => span.parentSpanId).sort()).toEqual([first, second].sort());
  expect((await db('notes').count({ n: '*' }))[0]).toEqual({ n: 2 });
});
