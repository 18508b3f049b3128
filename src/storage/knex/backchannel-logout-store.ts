/**
 * The `session_clients` and `backchannel_logouts` tables (migration 0016): see
 * storage/backchannel-logout.ts for what each member promises.
 *
 * Claiming is a read of the due rows followed by one conditional UPDATE that sets the lease only
 * where the lease is still free; the rows then read back by their lease token are exactly those
 * this caller won. SQLite runs one writer at a time; on PostgreSQL, READ COMMITTED re-checks the
 * UPDATE's condition on a row another transaction changed meanwhile, so the loser skips it. An
 * idle poll is therefore one indexed read, never a write.
 *
 * Queuing rows publishes `logouts` on the change feed when the transaction commits: on PostgreSQL
 * every other server (and a CLI's rows) wakes its deliverer at once; on SQLite it reaches this
 * process only, and the others' 250 ms polls find the rows.
 */
import type { Knex } from 'knex';
import type { EnqueuedLogouts, LogoutDelivery, LogoutDeliveryStore, SessionClientStore } from '../backchannel-logout.js';
import type { KnexChangeNotifier } from './change-feed.js';

interface DeliveryRow {
  id: number | string;
  client_id: string;
  session_id: string;
  sub: string;
  created_at: number | string;
  attempts: number | string;
  next_attempt_at: number | string;
  lease_token: string | null;
  lease_until: number | string | null;
  last_error: string | null;
}

interface Candidate {
  readonly session_id: string;
  readonly client_id: string;
  readonly sub: string;
}

const DELIVERIES = 'backchannel_logouts';
const LAST_ERROR_MAX = 200;

function fromRow(row: DeliveryRow): LogoutDelivery {
  return {
    id: Number(row.id),
    clientId: row.client_id,
    sessionId: row.session_id,
    sub: row.sub,
    createdAt: Number(row.created_at),
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error,
  };
}

export function knexSessionClientStore(db: Knex): SessionClientStore {
  return {
    async record(sessionId, clientId, at) {
      await db('session_clients').insert({ session_id: sessionId, client_id: clientId, first_at: at }).onConflict(['session_id', 'client_id']).ignore();
    },
    async clientsOf(sessionId) {
      const rows = await db('session_clients').where({ session_id: sessionId }).orderBy('client_id').select<{ client_id: string }[]>('client_id');
      return rows.map((row) => row.client_id);
    },
  };
}

/** Inserts the candidates, at most up to `maxPendingPerClient` waiting rows per client, and tells the other processes. */
async function enqueue(
  trx: Knex.Transaction,
  changes: KnexChangeNotifier,
  candidates: readonly Candidate[],
  now: number,
  maxPendingPerClient: number,
): Promise<EnqueuedLogouts> {
  const byClient = new Map<string, Candidate[]>();
  for (const candidate of candidates) byClient.set(candidate.client_id, [...(byClient.get(candidate.client_id) ?? []), candidate]);
  let queued = 0;
  const dropped: { clientId: string; sessionId: string }[] = [];
  for (const [clientId, wanted] of byClient) {
    const pending = Number((await trx(DELIVERIES).where({ client_id: clientId }).count<{ n: number | string }[]>({ n: '*' }))[0]?.n ?? 0);
    const room = Math.max(0, maxPendingPerClient - pending);
    const admitted = wanted.slice(0, room);
    if (admitted.length > 0) {
      await trx(DELIVERIES).insert(
        admitted.map((candidate) => ({ client_id: clientId, session_id: candidate.session_id, sub: candidate.sub, created_at: now, attempts: 0, next_attempt_at: now })),
      );
    }
    queued += admitted.length;
    for (const candidate of wanted.slice(room)) dropped.push({ clientId, sessionId: candidate.session_id });
  }
  if (queued > 0) await changes.publishOnCommit(trx, 'logouts');
  return { queued, dropped };
}

export function knexLogoutDeliveryStore(db: Knex, changes: KnexChangeNotifier): LogoutDeliveryStore {
  return {
    async enqueueForSessions(sessionIds, now, maxPendingPerClient) {
      if (sessionIds.length === 0) return { queued: 0, dropped: [] };
      return db.transaction(async (trx) => {
        const candidates = await trx('session_clients as sc')
          .join('sessions as s', 's.id', 'sc.session_id')
          .join('clients as c', 'c.client_id', 'sc.client_id')
          .whereIn('sc.session_id', [...sessionIds])
          .whereNotNull('c.backchannel_logout_uri')
          .orderBy(['sc.session_id', 'sc.client_id'])
          .select<Candidate[]>('sc.session_id as session_id', 'sc.client_id as client_id', 's.user_id as sub');
        return enqueue(trx, changes, candidates, now, maxPendingPerClient);
      });
    },
    async enqueueForGrant(grantId, now, maxPendingPerClient) {
      return db.transaction(async (trx) => {
        const candidates = await trx('refresh_families as f')
          .join('clients as c', 'c.client_id', 'f.client_id')
          .where('f.id', grantId)
          .whereNotNull('c.backchannel_logout_uri')
          .select<Candidate[]>('f.session_id as session_id', 'f.client_id as client_id', 'f.user_id as sub');
        return enqueue(trx, changes, candidates, now, maxPendingPerClient);
      });
    },
    async claim(leaseToken, now, leaseUntil, limit) {
      const leaseFree = (q: Knex.QueryBuilder) => q.whereNull('lease_until').orWhere('lease_until', '<=', now);
      const due = await db(DELIVERIES)
        .where('next_attempt_at', '<=', now)
        .where(leaseFree)
        .orderBy([{ column: 'next_attempt_at' }, { column: 'id' }])
        .limit(limit)
        .select<{ id: number | string }[]>('id');
      if (due.length === 0) return [];
      await db(DELIVERIES)
        .whereIn(
          'id',
          due.map((row) => row.id),
        )
        .where(leaseFree)
        .update({ lease_token: leaseToken, lease_until: leaseUntil, attempts: db.raw('attempts + 1') });
      const claimed = await db<DeliveryRow>(DELIVERIES).where({ lease_token: leaseToken }).orderBy([{ column: 'next_attempt_at' }, { column: 'id' }]);
      return claimed.map(fromRow);
    },
    async finish(id, leaseToken) {
      return (await db(DELIVERIES).where({ id, lease_token: leaseToken }).delete()) > 0;
    },
    async retryAt(id, leaseToken, nextAttemptAt, error) {
      const updated = await db(DELIVERIES)
        .where({ id, lease_token: leaseToken })
        .update({ next_attempt_at: nextAttemptAt, lease_token: null, lease_until: null, last_error: error.slice(0, LAST_ERROR_MAX) });
      return updated > 0;
    },
    async depth() {
      return Number((await db(DELIVERIES).count<{ n: number | string }[]>({ n: '*' }))[0]?.n ?? 0);
    },
    async pendingFor(clientId) {
      return Number((await db(DELIVERIES).where({ client_id: clientId }).count<{ n: number | string }[]>({ n: '*' }))[0]?.n ?? 0);
    },
  };
}
