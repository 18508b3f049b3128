/**
 * A child span per database statement of a traced request (tracing/spans.ts), named
 * `<OPERATION> <table>` with `db.system` (`sqlite` or `postgresql`, and the newer `db.system.name`),
 * `db.operation.name`, `db.collection.name` and `db.query.text`: the statement as prepared, with
 * its `?`/`$1` placeholders, never the bound values (knex's error messages inline those, so a
 * failure records the error's name only). Two seams see every statement: knex's query events for
 * the statements built through knex, and sqlite-session.ts for SQLite's prepared hot statements.
 * Transaction control (BEGIN, COMMIT) carries no query id in knex's events and is not traced.
 */
import type { Knex } from 'knex';
import { inActiveSpanLater, inChildSpan, recordingParent, startChildSpan, type OpenSpan, type SpanAttributes } from '../../tracing/spans.js';

export type DatabaseSystem = 'sqlite' | 'postgresql';

export interface StatementSpan {
  readonly name: string;
  readonly attributes: SpanAttributes;
}

const OPERATION = /^\s*(?:with\b[\s\S]*?\)\s*)?([a-z]+)/i;
const TABLE = /\b(?:from|into|update|join)\s+[`"]?([a-z_][a-z0-9_]*)/i;
/** Distinct statements are few (knex builds from fixed code), but IN lists vary: keep a bound. */
const MAX_DESCRIBED = 1000;

/** Describes statements of one database, each distinct SQL text once. */
export function statementDescriber(system: DatabaseSystem): (sql: string) => StatementSpan {
  const described = new Map<string, StatementSpan>();
  return (sql) => {
    let found = described.get(sql);
    if (found === undefined) {
      const operation = (OPERATION.exec(sql)?.[1] ?? 'QUERY').toUpperCase();
      const table = TABLE.exec(sql)?.[1];
      const attributes: SpanAttributes = {
        'db.system': system,
        'db.system.name': system,
        'db.operation.name': operation,
        'db.query.text': sql,
        ...(table === undefined ? {} : { 'db.collection.name': table }),
      };
      found = Object.freeze({ name: table === undefined ? operation : `${operation} ${table}`, attributes: Object.freeze(attributes) });
      if (described.size >= MAX_DESCRIBED) described.clear();
      described.set(sql, found);
    }
    return found;
  };
}

interface QueryEvent {
  readonly __knexQueryUid?: string;
  readonly sql?: string;
}

/** Spans for knex's statements, from its `query`, `query-response` and `query-error` events. */
export function traceKnexStatements(db: Knex, describe: (sql: string) => StatementSpan): void {
  const open = new Map<string, OpenSpan>();
  db.on('query', (query: QueryEvent) => {
    if (query.__knexQueryUid === undefined || query.sql === undefined) return;
    const { name, attributes } = describe(query.sql);
    const span = startChildSpan(name, attributes);
    if (span === undefined) return;
    // A statement whose events never come (a bug in knex) must not grow the map without end.
    if (open.size >= MAX_DESCRIBED) open.clear();
    open.set(query.__knexQueryUid, span);
  });
  const end = (query: QueryEvent, error?: unknown) => {
    if (query.__knexQueryUid === undefined) return;
    const span = open.get(query.__knexQueryUid);
    if (span === undefined) return;
    open.delete(query.__knexQueryUid);
    span.end(error);
  };
  db.on('query-response', (_response: unknown, query: QueryEvent) => end(query));
  db.on('query-error', (error: unknown, query: QueryEvent) => end(query, error ?? new Error('query failed')));
}

/** Runs one of SQLite's prepared statements (sqlite-session.ts) in its span, when traced. */
export function inStatementSpan<T>(describe: (sql: string) => StatementSpan, sql: string, work: () => T): T {
  if (!recordingParent()) return work();
  const { name, attributes } = describe(sql);
  return inChildSpan(name, attributes, work);
}

/**
 * `work` bound to the caller's span, for statements that run later on its behalf (the group
 * commit of sqlite-session.ts runs every waiting caller's work in one transaction).
 */
export const statementsLater = inActiveSpanLater;
