/**
 * The Shared Signals tables (migration 0019): the security-event log, the streams and their
 * queues. As for revocation records, readers resume after the last id they saw, so ids must
 * become visible in id order: on PostgreSQL `append` takes a transaction-scoped advisory lock
 * (SQLite has one writer at a time). A stream's fan-out moves its cursor with a conditional
 * UPDATE inside the transaction that queues the SETs, so two processes fanning out the same
 * stream cannot both queue a range: the loser's UPDATE matches no row and its transaction is
 * rolled back. The queue's (stream_id, jti) unique key is the second guard.
 */
import type { Knex } from 'knex';
import type {
  NewSecurityEvent,
  QueuedSet,
  SecurityEventRecord,
  SecurityEventStore,
  StreamChanges,
  StreamRecord,
  StreamStatus,
  StreamStore,
} from '../shared-signals.js';

/** An arbitrary constant naming the security-event append lock among PostgreSQL advisory locks. */
const APPEND_LOCK_KEY = 0x696e6b73;

interface EventRow {
  id: number;
  type: string;
  user_id: string;
  session_id: string | null;
  txn: string;
  initiating_entity: string;
  details: string | null;
  occurred_at: number;
}

interface StreamRow {
  id: string;
  client_id: string;
  delivery_method: string;
  endpoint_url: string | null;
  authorization_header: string | null;
  events_requested: string;
  description: string | null;
  status: string;
  status_reason: string | null;
  cursor: number;
  created_at: number;
  updated_at: number;
  last_verification_at: number | null;
  push_failures: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number;
}

interface QueueRow {
  seq: number;
  stream_id: string;
  jti: string;
  claims: string;
  created_at: number;
}

const isPostgres = (db: Knex): boolean => (db.client as { config: Knex.Config }).config.client === 'pg';

function eventFromRow(row: EventRow): SecurityEventRecord {
  return {
    id: Number(row.id),
    type: row.type,
    userId: row.user_id,
    sessionId: row.session_id,
    txn: row.txn,
    initiatingEntity: row.initiating_entity,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, string>),
    occurredAt: Number(row.occurred_at),
  };
}

export function knexSecurityEventStore(db: Knex): SecurityEventStore {
  return {
    async append(events) {
      if (events.length === 0) return [];
      return db.transaction(async (trx) => {
        if (isPostgres(db)) await trx.raw('select pg_advisory_xact_lock(?)', [APPEND_LOCK_KEY]);
        const added: SecurityEventRecord[] = [];
        for (const event of events) {
          const [inserted] = await trx<EventRow>('security_events').insert(
            {
              type: event.type,
              user_id: event.userId,
              session_id: event.sessionId,
              txn: event.txn,
              initiating_entity: event.initiatingEntity,
              details: event.details === null ? null : JSON.stringify(event.details),
              occurred_at: event.occurredAt,
            },
            ['id'],
          );
          added.push({ ...event, id: Number(typeof inserted === 'object' ? inserted.id : inserted) });
        }
        return added;
      });
    },

    async listSince(afterId, limit) {
      const rows = await db<EventRow>('security_events').where('id', '>', afterId).orderBy('id').limit(limit);
      return rows.map(eventFromRow);
    },

    async latestId() {
      const row = (await db('security_events').max({ id: 'id' }).first()) as { id: number | string | null } | undefined;
      return row?.id === null || row?.id === undefined ? 0 : Number(row.id);
    },

    async purgeBefore(before, limit) {
      return db<EventRow>('security_events')
        .whereIn('id', db<EventRow>('security_events').select('id').where('occurred_at', '<', before).limit(limit))
        .delete();
    },
  };
}

function streamFromRow(row: StreamRow): StreamRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    deliveryMethod: row.delivery_method,
    endpointUrl: row.endpoint_url,
    sealedAuthorizationHeader: row.authorization_header,
    eventsRequested: JSON.parse(row.events_requested) as string[],
    description: row.description,
    status: row.status as StreamStatus,
    statusReason: row.status_reason,
    cursor: Number(row.cursor),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastVerificationAt: row.last_verification_at === null ? null : Number(row.last_verification_at),
    pushFailures: Number(row.push_failures),
    nextAttemptAt: Number(row.next_attempt_at),
  };
}

function changesToColumns(changes: StreamChanges): Partial<StreamRow> {
  const columns: Partial<StreamRow> = {};
  if (changes.deliveryMethod !== undefined) columns.delivery_method = changes.deliveryMethod;
  if (changes.endpointUrl !== undefined) columns.endpoint_url = changes.endpointUrl;
  if (changes.sealedAuthorizationHeader !== undefined) columns.authorization_header = changes.sealedAuthorizationHeader;
  if (changes.eventsRequested !== undefined) columns.events_requested = JSON.stringify(changes.eventsRequested);
  if (changes.description !== undefined) columns.description = changes.description;
  return columns;
}

const queueRow = (id: string, set: Omit<QueuedSet, 'seq'>, at: number): Omit<QueueRow, 'seq'> => ({
  stream_id: id,
  jti: set.jti,
  claims: JSON.stringify(set.claims),
  created_at: at,
});

export function knexStreamStore(db: Knex): StreamStore {
  return {
    async insert(stream) {
      await db<StreamRow>('ssf_streams').insert({
        id: stream.id,
        client_id: stream.clientId,
        delivery_method: stream.deliveryMethod,
        endpoint_url: stream.endpointUrl,
        authorization_header: stream.sealedAuthorizationHeader,
        events_requested: JSON.stringify(stream.eventsRequested),
        description: stream.description,
        status: stream.status,
        status_reason: stream.statusReason,
        cursor: stream.cursor,
        created_at: stream.createdAt,
        updated_at: stream.updatedAt,
        last_verification_at: stream.lastVerificationAt,
        push_failures: stream.pushFailures,
        next_attempt_at: stream.nextAttemptAt,
        lease_owner: null,
        lease_until: 0,
      });
    },

    async find(id) {
      const row = await db<StreamRow>('ssf_streams').where({ id }).first();
      return row === undefined ? undefined : streamFromRow(row);
    },

    async listForClient(clientId) {
      const rows = await db<StreamRow>('ssf_streams').where({ client_id: clientId }).orderBy([{ column: 'created_at' }, { column: 'id' }]);
      return rows.map(streamFromRow);
    },

    async countForClient(clientId) {
      const row = (await db('ssf_streams').where({ client_id: clientId }).count({ n: '*' }).first()) as { n: number | string } | undefined;
      return Number(row?.n ?? 0);
    },

    async update(id, changes, at) {
      const updated = await db<StreamRow>('ssf_streams').where({ id }).update({ ...changesToColumns(changes), updated_at: at });
      return updated > 0;
    },

    async setStatus(id, status, reason, at) {
      const updated = await db<StreamRow>('ssf_streams').where({ id }).update({ status, status_reason: reason, updated_at: at });
      return updated > 0;
    },

    async delete(id) {
      return db.transaction(async (trx) => {
        await trx<QueueRow>('ssf_queue').where({ stream_id: id }).delete();
        return (await trx<StreamRow>('ssf_streams').where({ id }).delete()) > 0;
      });
    },

    async deleteForClient(clientId) {
      return db.transaction(async (trx) => {
        await trx<QueueRow>('ssf_queue').whereIn('stream_id', trx<StreamRow>('ssf_streams').select('id').where({ client_id: clientId })).delete();
        return Number(await trx<StreamRow>('ssf_streams').where({ client_id: clientId }).delete());
      });
    },

    async markVerification(id, at, notAfter) {
      const updated = await db<StreamRow>('ssf_streams')
        .where({ id })
        .where((q) => q.whereNull('last_verification_at').orWhere('last_verification_at', '<=', notAfter))
        .update({ last_verification_at: at });
      return updated > 0;
    },

    async advance(id, fromCursor, toCursor, sets, at) {
      try {
        return await db.transaction(async (trx) => {
          const moved = await trx<StreamRow>('ssf_streams').where({ id, cursor: fromCursor }).update({ cursor: toCursor });
          if (moved === 0) throw new CursorMoved();
          for (const set of sets) await trx<QueueRow>('ssf_queue').insert(queueRow(id, set, at)).onConflict(['stream_id', 'jti']).ignore();
          return true;
        });
      } catch (error) {
        if (error instanceof CursorMoved) return false;
        throw error;
      }
    },

    async enqueue(id, set, at) {
      await db<QueueRow>('ssf_queue').insert(queueRow(id, set, at)).onConflict(['stream_id', 'jti']).ignore();
    },

    async queued(id, limit) {
      const rows = await db<QueueRow>('ssf_queue').where({ stream_id: id }).orderBy('seq').limit(limit);
      return rows.map((row) => ({ seq: Number(row.seq), jti: row.jti, claims: JSON.parse(row.claims) as Record<string, unknown> }));
    },

    async queuedCount(id) {
      const row = (await db('ssf_queue').where({ stream_id: id }).count({ n: '*' }).first()) as { n: number | string } | undefined;
      return Number(row?.n ?? 0);
    },

    async remove(id, jtis) {
      if (jtis.length === 0) return 0;
      return db<QueueRow>('ssf_queue').where({ stream_id: id }).whereIn('jti', [...jtis]).delete();
    },

    async pushDue(latestEventId, now, limit) {
      const rows = await db<StreamRow>('ssf_streams')
        .where({ status: 'enabled' })
        .whereNotNull('endpoint_url')
        .where('next_attempt_at', '<=', now)
        .where((q) =>
          q.where('cursor', '<', latestEventId).orWhereExists(db('ssf_queue').select(db.raw('1')).whereRaw('ssf_queue.stream_id = ssf_streams.id')),
        )
        .orderBy('id')
        .limit(limit);
      return rows.map(streamFromRow);
    },

    async claimLease(id, owner, now, until) {
      const updated = await db<StreamRow>('ssf_streams')
        .where({ id })
        .where((q) => q.where('lease_owner', owner).orWhereNull('lease_owner').orWhere('lease_until', '<=', now))
        .update({ lease_owner: owner, lease_until: until });
      return updated > 0;
    },

    async releaseLease(id, owner) {
      await db<StreamRow>('ssf_streams').where({ id, lease_owner: owner }).update({ lease_owner: null, lease_until: 0 });
    },

    async setPushState(id, failures, nextAttemptAt) {
      await db<StreamRow>('ssf_streams').where({ id }).update({ push_failures: failures, next_attempt_at: nextAttemptAt });
    },
  };
}

/** Another process moved the stream's cursor first: this fan-out is rolled back. */
class CursorMoved extends Error {
  override readonly name = 'CursorMoved';
}
